/**
 * The ExtensionHub over a real PeerWire (in-memory sockets): our handshake payload, routing by our
 * ids, unknown ids ignored, a malformed message closing the connection with the extension's reason;
 * and the ut_metadata server's answers and caps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { metadataServer } from '../../src/engine/metadata-server.js';
import { type Extension, type ExtensionPeer, ExtensionHub } from '../../src/engine/peer-extensions.js';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { systemClock } from '../../src/env/clock.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../src/protocol/extension/handshake.js';
import { decodeMetadataMessage, encodeMetadataMessage } from '../../src/protocol/extension/ut-metadata.js';
import { EXTENDED_HANDSHAKE_ID, type WireMessage } from '../../src/protocol/wire/index.js';
import { duplexPair } from '../support/duplex-pair.js';
import { RawPeer } from '../support/raw-peer.js';
import { until } from '../support/until.js';

function connect(hub: ExtensionHub) {
  const { local, remote } = duplexPair({ remoteAddress: '10.0.0.9', remotePort: 51000 });
  const wire = new PeerWire(local, { clock: systemClock, expectHandshake: false });
  hub.attach({ key: 'k#1', address: '10.0.0.9:51000', direction: 'incoming', wire });
  const far = new RawPeer(remote, { expectHandshake: false });
  return { wire, far };
}

const recording = (name: string, localId: number) => {
  const got: Buffer[] = [];
  const ready: ExtensionPeer[] = [];
  const extension: Extension = { name, localId, peerReady: (peer) => ready.push(peer), receive: (_, payload) => got.push(Buffer.from(payload)) };
  return { extension, got, ready };
};

describe('ExtensionHub', () => {
  test('builds our handshake: m from the extensions, v, p, reqq, yourip, and fields extensions add', () => {
    const hub = new ExtensionHub({ client: 'actorrent test', listenPort: () => 6881, requestQueue: 250, extensions: [metadataServer(Buffer.alloc(40_000)), recording('ut_pex', 1).extension] });
    const h = decodeExtendedHandshake(hub.handshakePayload('10.0.0.9:51000'));
    assert.deepEqual([...h.m].sort(), [['ut_metadata', 2], ['ut_pex', 1]]);
    assert.equal(h.client, 'actorrent test');
    assert.equal(h.listenPort, 6881);
    assert.equal(h.requestQueue, 250);
    assert.equal(h.yourIp, '10.0.0.9');
    assert.equal(h.metadataSize, 40_000);
    assert.equal(decodeExtendedHandshake(hub.handshakePayload('[::ffff:10.1.2.3]:1')).yourIp, '10.1.2.3');
  });

  test('two extensions on one id is a programming error', () => {
    assert.throws(() => new ExtensionHub({ client: 'x', listenPort: () => 1, requestQueue: 1, extensions: [recording('a', 3).extension, recording('b', 3).extension] }), /used twice/);
  });

  test('routes by our ids after the peer handshake; unknown ids and messages before it are ignored; sends with the peer ids', async () => {
    const a = recording('a_ext', 3);
    const hub = new ExtensionHub({ client: 'x', listenPort: () => 1, requestQueue: 1, extensions: [a.extension] });
    const { far } = connect(hub);
    const got: WireMessage[] = [];
    far.onMessage((m) => got.push(m));
    far.send({ type: 'extended', id: 3, payload: Buffer.from('too early') });
    far.send({ type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload: encodeExtendedHandshake({ m: { a_ext: 9 } }) });
    far.send({ type: 'extended', id: 3, payload: Buffer.from('hello') });
    far.send({ type: 'extended', id: 77, payload: Buffer.from('nobody') });
    await until(() => a.got.length === 1 && a.ready.length === 1, { what: 'one message routed' });
    assert.equal(a.got[0]!.toString(), 'hello');
    const peer = hub.peer('k#1')!;
    assert.ok(peer.supports('a_ext') && !peer.supports('b_ext'));
    assert.equal(peer.send('a_ext', Buffer.from('back')), true);
    assert.equal(peer.send('b_ext', Buffer.from('nope')), false);
    await until(() => got.length === 1, { what: 'the answer arrived' });
    assert.deepEqual(got[0], { type: 'extended', id: 9, payload: Buffer.from('back') });
  });

  test('a malformed extension handshake closes the connection with the reason', async () => {
    const hub = new ExtensionHub({ client: 'x', listenPort: () => 1, requestQueue: 1, extensions: [] });
    const { wire, far } = connect(hub);
    far.send({ type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload: Buffer.from('li1ee') });
    await until(() => wire.closed, { what: 'closed' });
    assert.match(wire.reason!, /protocol error: extension handshake is not a dictionary/);
  });
});

describe('ut_metadata server', () => {
  test('answers requests with the piece, rejects pieces past the end, and rejects beyond its per-peer allowance', async () => {
    const info = Buffer.alloc(20_000, 7);
    const hub = new ExtensionHub({ client: 'x', listenPort: () => 1, requestQueue: 1, extensions: [metadataServer(info, { answersPerPeer: 3 })] });
    const { far } = connect(hub);
    const answers: ReturnType<typeof decodeMetadataMessage>[] = [];
    far.onMessage((m) => m.type === 'extended' && m.id === 5 && answers.push(decodeMetadataMessage(m.payload)));
    far.send({ type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload: encodeExtendedHandshake({ m: { ut_metadata: 5 } }) });
    for (const piece of [0, 1, 2, 0, 1]) far.send({ type: 'extended', id: 2, payload: encodeMetadataMessage({ type: 'request', piece }) });
    await until(() => answers.length === 5, { what: 'five answers' });
    assert.deepEqual(answers.map((a) => a.type), ['data', 'data', 'reject', 'data', 'reject']);
    const second = answers[1];
    assert.ok(second?.type === 'data' && second.totalSize === 20_000 && second.data.length === 20_000 - 16384);
  });
});
