import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createActor } from 'xstate';
import { type LocalHave, type PeerEmitted, type PeerInput, peerMachine } from '../../src/actors/peer.js';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { decode } from '../../src/protocol/bencode/index.js';
import {
  EXTENDED_HANDSHAKE_ID,
  type Handshake,
  type HandshakeFlags,
  type WireMessage,
  decodeHandshake,
  encodeHandshake,
  encodeMessage,
} from '../../src/protocol/wire/index.js';
import { duplexPair } from '../support/duplex-pair.js';
import { settle } from '../support/event-loop.js';
import { RawPeer } from '../support/raw-peer.js';
import { SteppingClock } from '../support/stepping-clock.js';

/**
 * The Peer machine over an in-memory connection: a real PeerWire on our end, raw bytes through the
 * real codec on the far end, and a SimulatedClock (SteppingClock) for every timer: handshake,
 * keep-alive, idle. No socket, no real time.
 */

const SECOND = 1000;
const INFO_HASH = Buffer.alloc(20, 0x11);
const OTHER_HASH = Buffer.alloc(20, 0x22);
const OUR_ID = Buffer.from('-AC0001-ourselves...');
const THEIR_ID = Buffer.from('-TR3000-theirpeerid.');
const PIECES = 10; // a 2-byte bitfield with 6 spare bits

const ALL_FLAGS: HandshakeFlags = { extensionProtocol: true, fastExtension: true, dht: false };
const NO_FLAGS: HandshakeFlags = { extensionProtocol: false, fastExtension: false, dht: false };

const NOTHING: LocalHave = { all: false };
const EVERYTHING: LocalHave = { all: true, bitfield: Buffer.from([0xff, 0xc0]) };
const SOME: LocalHave = { all: false, bitfield: Buffer.from([0xa0, 0x40]) };

function theirHandshake(flags: Partial<HandshakeFlags> = ALL_FLAGS, infoHash = INFO_HASH, peerId = THEIR_ID): Handshake {
  return decodeHandshake(encodeHandshake({ infoHash, peerId, flags }));
}

interface Options extends Partial<Omit<PeerInput, 'wire'>> {
  /** Shorthand for a constant localHave. */
  have?: LocalHave;
}

/** Whatever a test started is stopped after it, even when an assertion failed half-way. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A peer actor on our end of a duplex pair, the far end spoken by a RawPeer. */
function connect(options: Options = {}) {
  const clock = new SteppingClock();
  const { local, remote } = duplexPair();
  const direction = options.direction ?? 'outgoing';
  const wire = new PeerWire(local, { clock, expectHandshake: options.remoteHandshake === undefined });
  const far = new RawPeer(remote);
  const { have = NOTHING, ...input } = options;
  const actor = createActor(peerMachine, {
    clock,
    // An explicit input.localHave replaces the constant one.
    input: { wire, direction, infoHash: INFO_HASH, localPeerId: OUR_ID, pieceCount: PIECES, localHave: () => have, ...input },
  });
  const emitted: PeerEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const advance = (ms: number) => clock.advance(ms);
  /** The far end sends a keep-alive every `ms` of simulated time (until the test ends). */
  const chatter = (ms: number) => {
    const tick = () => {
      far.send({ type: 'keep-alive' });
      clock.setTimeout(tick, ms);
    };
    clock.setTimeout(tick, ms);
  };
  const state = () => actor.getSnapshot();
  const cleanup = () => {
    actor.stop();
    wire.close('test over');
    local.destroy();
    remote.destroy();
  };
  cleanups.push(cleanup);
  return { clock, wire, far, actor, emitted, state, advance, chatter, cleanup };
}

/** Connects outgoing and completes the handshake from the far end; returns with the greeting taken. */
async function connected(options: Options & { theirFlags?: Partial<HandshakeFlags> } = {}) {
  const { theirFlags = ALL_FLAGS, ...rest } = options;
  const peer = connect(rest);
  await settle();
  peer.far.handshake({ infoHash: INFO_HASH, peerId: THEIR_ID, flags: theirFlags });
  await settle();
  assert.ok(peer.state().matches('active'), `active after the handshake, got ${JSON.stringify(peer.state().value)}`);
  peer.far.take();
  return peer;
}

const sameMessages = (got: WireMessage[], expected: string[]) => assert.deepEqual(got.map((m) => m.type), expected);

test('outgoing: our handshake goes first, with the extension-protocol and fast bits, and nothing else before theirs', async () => {
  const { far, state, cleanup } = connect({ direction: 'outgoing' });
  await settle();
  const [first, ...others] = far.take();
  assert.equal(first?.type, 'handshake');
  const ours = first as Handshake;
  assert.ok(ours.infoHash.equals(INFO_HASH));
  assert.ok(ours.peerId.equals(OUR_ID));
  assert.equal(ours.flags.extensionProtocol, true);
  assert.equal(ours.flags.fastExtension, true);
  assert.deepEqual(others, [], 'no greeting before the peer has answered');
  assert.ok(state().matches('handshaking'));
  cleanup();
});

test('outgoing: their matching handshake makes the peer active and emits connected with the client name', async () => {
  const { far, state, emitted, cleanup } = connect();
  await settle();
  far.take();
  far.handshake({ infoHash: INFO_HASH, peerId: THEIR_ID, flags: ALL_FLAGS });
  await settle();
  assert.ok(state().matches('active'));
  assert.equal(state().context.fast, true);
  const connectedEvent = emitted.find((e) => e.type === 'connected');
  assert.ok(connectedEvent && connectedEvent.type === 'connected');
  assert.ok(connectedEvent.remote.peerId.equals(THEIR_ID));
  assert.equal(connectedEvent.client, 'Transmission 3.00');
  cleanup();
});

test('outgoing: their handshake and bitfield in one chunk are both taken', async () => {
  const { far, state, emitted, cleanup } = connect();
  await settle();
  far.take();
  const bitfield = Buffer.from([0x80, 0x40]);
  far.write(Buffer.concat([encodeHandshake({ infoHash: INFO_HASH, peerId: THEIR_ID, flags: ALL_FLAGS }), encodeMessage({ type: 'bitfield', bitfield })]));
  await settle();
  assert.ok(state().matches({ active: { announcement: 'done' } }));
  assert.deepEqual(emitted.map((e) => e.type), ['connected', 'have-announcement']);
  cleanup();
});

test('incoming with the handshake already read: ours answers it at once, then the greeting', async () => {
  const { far, state, emitted, cleanup } = connect({ direction: 'incoming', remoteHandshake: theirHandshake(), have: SOME });
  assert.ok(state().matches('active'), 'no waiting: the server read their handshake');
  await settle();
  const got = far.take();
  sameMessages(got, ['handshake', 'extended', 'bitfield']);
  assert.ok((got[0] as Handshake).infoHash.equals(INFO_HASH));
  assert.ok((got[0] as Handshake).peerId.equals(OUR_ID));
  assert.deepEqual(emitted.map((e) => e.type), ['connected']);
  cleanup();
});

test('a handshake for another torrent closes the connection', async () => {
  const { far, actor, state, emitted, wire, cleanup } = connect();
  await settle();
  far.handshake({ infoHash: OTHER_HASH, peerId: THEIR_ID, flags: ALL_FLAGS });
  await settle();
  assert.ok(state().matches('closed'));
  assert.equal(state().status, 'done');
  assert.deepEqual(state().output, { reason: 'handshake for another torrent' });
  assert.deepEqual(emitted, [{ type: 'closed', reason: 'handshake for another torrent' }]);
  assert.equal(wire.reason, 'handshake for another torrent');
  assert.equal(far.closed, true, 'the socket was closed');
  assert.equal(actor.getSnapshot().context.remote, undefined);
  cleanup();
});

test('our own peer id in their handshake: connected to ourselves', async () => {
  const { far, state, cleanup } = connect();
  await settle();
  // Checked before the infohash: a self-connection is dropped whatever torrent it names.
  far.handshake({ infoHash: OTHER_HASH, peerId: OUR_ID, flags: ALL_FLAGS });
  await settle();
  assert.equal(state().status, 'done');
  assert.equal(state().output?.reason, 'connected to ourselves');
  cleanup();
});

test('no handshake within the timeout: closed "handshake timed out" (simulated time)', async () => {
  const { clock, far, state, advance, cleanup } = connect({ handshakeTimeoutMs: 5 * SECOND });
  await advance(4 * SECOND);
  clock.increment(999);
  assert.ok(state().matches('handshaking'));
  clock.increment(1);
  assert.ok(state().matches('closed'));
  assert.equal(state().output?.reason, 'handshake timed out');
  await settle();
  assert.equal(far.closed, true);
  cleanup();
});

test('the default handshake timeout is 10 s, and a handshake in time cancels it', async () => {
  const slow = connect();
  await slow.advance(9 * SECOND);
  assert.ok(slow.state().matches('handshaking'));
  await slow.advance(SECOND);
  assert.equal(slow.state().output?.reason, 'handshake timed out');
  slow.cleanup();

  const { far, state, advance, cleanup } = connect();
  await advance(9 * SECOND);
  far.handshake({ infoHash: INFO_HASH, peerId: THEIR_ID, flags: ALL_FLAGS });
  await settle();
  far.send({ type: 'keep-alive' });
  await advance(5 * SECOND);
  assert.ok(state().matches('active'), 'still connected after the 10 s mark');
  cleanup();
});

const greetings: { name: string; theirs: Partial<HandshakeFlags>; have: LocalHave; expected: string[] }[] = [
  { name: 'extension + fast, nothing', theirs: ALL_FLAGS, have: NOTHING, expected: ['extended', 'have-none'] },
  { name: 'extension + fast, everything', theirs: ALL_FLAGS, have: EVERYTHING, expected: ['extended', 'have-all'] },
  { name: 'extension + fast, some', theirs: ALL_FLAGS, have: SOME, expected: ['extended', 'bitfield'] },
  { name: 'fast only, everything', theirs: { fastExtension: true }, have: EVERYTHING, expected: ['have-all'] },
  { name: 'fast only, nothing', theirs: { fastExtension: true }, have: NOTHING, expected: ['have-none'] },
  { name: 'neither, nothing: say nothing (BEP 3 allows no bitfield)', theirs: NO_FLAGS, have: NOTHING, expected: [] },
  { name: 'neither, everything: a full bitfield', theirs: NO_FLAGS, have: EVERYTHING, expected: ['bitfield'] },
  { name: 'extension only, some', theirs: { extensionProtocol: true }, have: SOME, expected: ['extended', 'bitfield'] },
];

for (const { name, theirs, have, expected } of greetings) {
  test(`greeting: ${name} → ${expected.join(', ') || 'nothing'}`, async () => {
    const { far, cleanup } = connect({ direction: 'incoming', remoteHandshake: theirHandshake(theirs), have });
    await settle();
    const got = far.take();
    assert.equal(got[0]?.type, 'handshake');
    sameMessages(got.slice(1), expected);
    for (const message of got) {
      if (message.type === 'extended') {
        assert.equal(message.id, EXTENDED_HANDSHAKE_ID);
        const dict = decode(message.payload, { mode: 'strict' }) as { v: Buffer; reqq: number };
        assert.match(dict.v.toString(), /^actorrent /);
        assert.equal(dict.reqq, 250);
      }
      if (message.type === 'bitfield') assert.ok(message.bitfield.equals(have.bitfield!), 'the bitfield is localHave’s');
    }
    cleanup();
  });
}

test('the greeting reads localHave when the handshake completes, not when the actor starts', async () => {
  let have = NOTHING;
  const { far, cleanup } = connect({ localHave: () => have });
  await settle();
  have = EVERYTHING;
  far.handshake({ infoHash: INFO_HASH, peerId: THEIR_ID, flags: ALL_FLAGS });
  await settle();
  assert.deepEqual(far.takeTypes(), ['handshake', 'extended', 'have-all']);
  cleanup();
});

test('bitfield rule: a valid bitfield first is announced once; later bitfields and have-all are announced too (aria2 sends them)', async () => {
  const { far, state, emitted, cleanup } = await connected();
  const bitfield = Buffer.from([0xff, 0x00]);
  far.send({ type: 'bitfield', bitfield });
  await settle();
  const announced = () => emitted.filter((e) => e.type === 'have-announcement');
  assert.equal(announced().length, 1);
  assert.deepEqual(announced()[0], { type: 'have-announcement', message: { type: 'bitfield', bitfield } });
  assert.ok(state().matches({ active: { announcement: 'done' } }));
  // aria2 sends a whole bitfield instead of haves when it is shorter, and have-all once complete.
  const more = Buffer.from([0xff, 0x80]);
  far.send({ type: 'bitfield', bitfield: more }, { type: 'have-all' });
  await settle();
  assert.ok(state().matches('active'), `still connected (${state().output?.reason ?? ''})`);
  assert.deepEqual(announced().slice(1), [
    { type: 'have-announcement', message: { type: 'bitfield', bitfield: more } },
    { type: 'have-announcement', message: { type: 'have-all' } },
  ]);
  cleanup();
});

test('bitfield rule: a later have-none, or a later invalid bitfield, closes the connection', async () => {
  for (const late of [{ type: 'have-none' as const }, { type: 'bitfield' as const, bitfield: Buffer.from([0xff, 0xc1]) }]) {
    const { far, state, emitted, cleanup } = await connected();
    far.send({ type: 'have', index: 1 });
    await settle();
    far.send(late);
    await settle();
    assert.equal(state().output?.reason, 'have-none or invalid bitfield after the first message', late.type);
    assert.equal(emitted.filter((e) => e.type === 'have-announcement').length, 0);
    cleanup();
  }
});

test('bitfield rule: extension handshake, keep-alive and port may come before the bitfield', async () => {
  const { far, state, emitted, cleanup } = await connected();
  far.send({ type: 'extended', id: 0, payload: Buffer.from('de') }, { type: 'keep-alive' }, { type: 'port', port: 6881 });
  far.send({ type: 'have-all' });
  await settle();
  assert.ok(state().matches('active'));
  assert.deepEqual(
    emitted.filter((e) => e.type === 'have-announcement'),
    [{ type: 'have-announcement', message: { type: 'have-all' } }],
  );
  cleanup();
});

const lateAnnouncements: { first: Parameters<RawPeer['send']>[0]; name: string }[] = [
  { name: 'have', first: { type: 'have', index: 3 } },
  { name: 'unchoke', first: { type: 'unchoke' } },
  { name: 'interested', first: { type: 'interested' } },
  { name: 'request', first: { type: 'request', index: 0, begin: 0, length: 16384 } },
];

for (const { name, first } of lateAnnouncements) {
  test(`bitfield rule: a bitfield after ${name} replaces what the peer had, without closing`, async () => {
    const { far, state, emitted, cleanup } = await connected();
    far.send(first);
    await settle();
    assert.ok(state().matches({ active: { announcement: 'done' } }));
    const bitfield = Buffer.from([0x80, 0x00]);
    far.send({ type: 'bitfield', bitfield });
    await settle();
    assert.ok(state().matches('active'), `still connected (${state().output?.reason ?? ''})`);
    assert.deepEqual(
      emitted.filter((e) => e.type === 'have-announcement'),
      [{ type: 'have-announcement', message: { type: 'bitfield', bitfield } }],
    );
    cleanup();
  });
}

test('bitfield rule: have-all or have-none from a peer without the fast bit closes the connection', async () => {
  for (const type of ['have-all', 'have-none'] as const) {
    const { far, state, emitted, cleanup } = await connected({ theirFlags: { extensionProtocol: true } });
    assert.equal(state().context.fast, false);
    far.send({ type });
    await settle();
    assert.equal(state().output?.reason, 'invalid bitfield, have-all or have-none', type);
    assert.equal(emitted.filter((e) => e.type === 'have-announcement').length, 0);
    cleanup();
  }
});

test('bitfield rule: a bitfield with spare bits set, or of the wrong length, closes the connection', async () => {
  for (const bitfield of [Buffer.from([0xff, 0xc1]), Buffer.from([0xff]), Buffer.from([0xff, 0xc0, 0x00])]) {
    const { far, state, cleanup } = await connected();
    far.send({ type: 'bitfield', bitfield });
    await settle();
    assert.equal(state().output?.reason, 'invalid bitfield, have-all or have-none', bitfield.toString('hex'));
    cleanup();
  }
});

test('the four flags are parallel regions, starting choked and not interested on both sides', async () => {
  const { state, cleanup } = await connected();
  assert.ok(
    state().matches({ active: { amChoking: 'choking', amInterested: 'no', peerChoking: 'choking', peerInterested: 'no' } }),
  );
  cleanup();
});

test('their choke and interest messages move the peer regions and emit only on a real change', async () => {
  const { far, state, emitted, cleanup } = await connected();
  const step = async (message: Parameters<RawPeer['send']>[0]) => {
    emitted.length = 0;
    far.send(message);
    await settle();
    return emitted.map((e) => e.type);
  };
  assert.deepEqual(await step({ type: 'unchoke' }), ['unchoked']);
  assert.ok(state().matches({ active: { peerChoking: 'unchoked' } }));
  assert.deepEqual(await step({ type: 'unchoke' }), [], 'a repeated unchoke changes nothing');
  assert.deepEqual(await step({ type: 'interested' }), ['interested']);
  assert.ok(state().matches({ active: { peerInterested: 'yes', peerChoking: 'unchoked' } }));
  assert.deepEqual(await step({ type: 'interested' }), []);
  assert.deepEqual(await step({ type: 'choke' }), ['choked']);
  assert.deepEqual(await step({ type: 'choke' }), []);
  assert.deepEqual(await step({ type: 'not-interested' }), ['not-interested']);
  assert.deepEqual(await step({ type: 'not-interested' }), []);
  assert.ok(state().matches({ active: { peerChoking: 'choking', peerInterested: 'no', amChoking: 'choking', amInterested: 'no' } }));
  cleanup();
});

test('CHOKE, UNCHOKE, INTEREST and UNINTEREST send their message only on a real change', async () => {
  const { far, actor, state, cleanup } = await connected();
  const step = async (type: 'CHOKE' | 'UNCHOKE' | 'INTEREST' | 'UNINTEREST') => {
    actor.send({ type });
    await settle();
    return far.takeTypes();
  };
  assert.deepEqual(await step('CHOKE'), [], 'already choking');
  assert.deepEqual(await step('UNINTEREST'), [], 'already not interested');
  assert.deepEqual(await step('UNCHOKE'), ['unchoke']);
  assert.ok(state().matches({ active: { amChoking: 'unchoked' } }));
  assert.deepEqual(await step('UNCHOKE'), []);
  assert.deepEqual(await step('INTEREST'), ['interested']);
  assert.ok(state().matches({ active: { amInterested: 'yes' } }));
  assert.deepEqual(await step('INTEREST'), []);
  assert.deepEqual(await step('CHOKE'), ['choke']);
  assert.deepEqual(await step('UNINTEREST'), ['not-interested']);
  assert.ok(state().matches({ active: { amChoking: 'choking', amInterested: 'no' } }));
  cleanup();
});

test('flag commands before the handshake completes are ignored', async () => {
  const { far, actor, state, cleanup } = connect();
  await settle();
  far.take();
  actor.send({ type: 'UNCHOKE' });
  actor.send({ type: 'INTEREST' });
  await settle();
  assert.deepEqual(far.take(), []);
  assert.ok(state().matches('handshaking'));
  cleanup();
});

test('keep-alive: sent after 60 s of silence on our side, counted from the last thing we sent', async () => {
  const { far, actor, advance, chatter, cleanup } = await connected();
  // The far end talks every 30 s, so the idle timeout stays out of the way.
  chatter(30 * SECOND);
  await advance(59 * SECOND);
  assert.deepEqual(far.takeTypes(), [], 'nothing before 60 s');
  await advance(SECOND);
  assert.deepEqual(far.takeTypes(), ['keep-alive'], 'one keep-alive at 60 s');

  // We speak at 70 s; the next keep-alive is due 60 s after that, at 130 s.
  await advance(10 * SECOND);
  actor.send({ type: 'UNCHOKE' });
  await settle();
  assert.deepEqual(far.takeTypes(), ['unchoke']);
  await advance(59 * SECOND);
  assert.deepEqual(far.takeTypes(), [], 'no keep-alive while we spoke less than 60 s ago');
  await advance(SECOND);
  assert.deepEqual(far.takeTypes(), ['keep-alive'], 'keep-alive at 130 s');
  await advance(60 * SECOND);
  assert.deepEqual(far.takeTypes(), ['keep-alive'], 'and every 60 s after');
  cleanup();
});

test('idle: closed after 150 s with nothing from the peer', async () => {
  const { state, emitted, advance, cleanup } = await connected();
  await advance(149 * SECOND);
  assert.ok(state().matches('active'));
  await advance(SECOND);
  assert.equal(state().status, 'done');
  assert.equal(state().output?.reason, 'idle: nothing received for too long');
  assert.deepEqual(emitted.at(-1), { type: 'closed', reason: 'idle: nothing received for too long' });
  cleanup();
});

test('idle: counted from the last message received, checked every quarter of the timeout', async () => {
  const { far, state, advance, cleanup } = await connected();
  await advance(100 * SECOND);
  far.send({ type: 'have', index: 1 });
  await settle();
  await advance(149 * SECOND);
  assert.ok(state().matches('active'), 'not idle before 150 s after the last message');
  await advance(38 * SECOND);
  assert.equal(state().output?.reason, 'idle: nothing received for too long');
  cleanup();
});

test('idle: keep-alives from the peer keep the connection open', async () => {
  const { state, advance, chatter, cleanup } = await connected();
  chatter(60 * SECOND);
  await advance(10 * 60 * SECOND);
  assert.ok(state().matches('active'));
  cleanup();
});

test('CLOSE ends in closed with its reason; the first reason is kept when the socket closes after', async () => {
  const { far, actor, state, wire, emitted, cleanup } = await connected();
  actor.send({ type: 'CLOSE', reason: 'torrent stopped' });
  await settle();
  assert.ok(state().matches('closed'));
  assert.deepEqual(state().output, { reason: 'torrent stopped' });
  assert.equal(wire.reason, 'torrent stopped', 'the wire closed with our reason, not "closed by peer"');
  assert.equal(far.closed, true);
  actor.send({ type: 'CLOSE', reason: 'second' });
  assert.deepEqual(state().output, { reason: 'torrent stopped' });
  assert.deepEqual(
    emitted.filter((e) => e.type === 'closed'),
    [{ type: 'closed', reason: 'torrent stopped' }],
  );
  cleanup();
});

test('the socket closing ends in closed with the wire’s reason, in any state', async () => {
  // During the handshake…
  const early = connect();
  await settle();
  early.far.destroy();
  await settle();
  assert.equal(early.state().output?.reason, 'connection closed by peer');
  early.cleanup();

  // …and once active.
  const { far, state, emitted, cleanup } = await connected();
  far.destroy();
  await settle();
  assert.equal(state().status, 'done');
  assert.deepEqual(state().output, { reason: 'connection closed by peer' });
  assert.deepEqual(emitted.at(-1), { type: 'closed', reason: 'connection closed by peer' });
  cleanup();
});

test('a protocol error on the wire ends in closed with the decoder’s reason', async () => {
  const { far, state, cleanup } = await connected();
  far.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 7])); // a 4 GiB frame
  await settle();
  assert.equal(state().status, 'done');
  assert.match(state().output!.reason, /^protocol error: /);
  cleanup();
});

test('with a DHT port: the handshake sets the DHT bit, and a peer that sets it too gets a port message after the bitfield; one that does not, none', async () => {
  const { far, cleanup } = connect({ direction: 'incoming', remoteHandshake: theirHandshake({ ...ALL_FLAGS, dht: true }), have: SOME, dhtPort: 6999 });
  await settle();
  const got = far.take();
  sameMessages(got, ['handshake', 'extended', 'bitfield', 'port']);
  assert.equal((got[0] as Handshake).flags.dht, true);
  assert.deepEqual(got[3], { type: 'port', port: 6999 });
  cleanup();

  const without = connect({ direction: 'incoming', remoteHandshake: theirHandshake(ALL_FLAGS), have: SOME, dhtPort: 6999 });
  await settle();
  sameMessages(without.far.take(), ['handshake', 'extended', 'bitfield']);
  without.cleanup();

  const noDht = connect({ direction: 'incoming', remoteHandshake: theirHandshake({ ...ALL_FLAGS, dht: true }), have: SOME });
  await settle();
  const plain = noDht.far.take();
  assert.equal((plain[0] as Handshake).flags.dht, false, 'no DHT, no DHT bit');
  sameMessages(plain, ['handshake', 'extended', 'bitfield']);
  noDht.cleanup();
});
