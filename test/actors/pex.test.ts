import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimulatedClock, createActor, fromCallback, setup } from 'xstate';
import type { ClientEvent } from '../../src/actors/client.js';
import { SYSTEM_IDS } from '../../src/actors/ids.js';
import { type PexActor, type PexEmitted, pexMachine } from '../../src/actors/pex.js';
import type { ExtensionPeer } from '../../src/engine/peer-extensions.js';
import { pexExtension } from '../../src/engine/pex-extension.js';
import { DEFAULT_PEX_INTAKE, DEFAULT_PEX_SCHEDULE, type PeerTraits } from '../../src/policy/pex.js';
import type { ExtendedHandshake } from '../../src/protocol/extension/handshake.js';
import { ExtensionError } from '../../src/protocol/extension/errors.js';
import { PEX_FLAGS, UT_PEX, decodePexMessage, encodePexMessage } from '../../src/protocol/extension/ut-pex.js';

const { firstDelayMs, intervalMs } = DEFAULT_PEX_SCHEDULE;

interface FakePeer extends ExtensionPeer {
  sent: Buffer[];
}

function fakePeer(key: string, direction: 'incoming' | 'outgoing', remote: Partial<ExtendedHandshake> = {}): FakePeer {
  const sent: Buffer[] = [];
  return {
    key,
    address: key.replace(/#\d+$/, ''),
    direction,
    remote: { m: new Map([[UT_PEX, 7]]), ...remote },
    supports: (name) => name === UT_PEX,
    send: (name, payload) => {
      assert.equal(name, UT_PEX);
      sent.push(payload);
      return true;
    },
    close: () => undefined,
    sent,
  };
}

/** The Pex actor under a parent that also holds a stand-in Client (systemId `client`) recording what it is told. */
function startPex(options: { enabled?: boolean; weAreSeed?: boolean } = {}) {
  const clock = new SimulatedClock();
  const extension = pexExtension();
  // Counts the live bindings of the extension to an inbox.
  const bindings = { active: 0 };
  const bind = extension.bind.bind(extension);
  extension.bind = (inbox) => {
    const unbind = bind(inbox);
    bindings.active++;
    return () => {
      bindings.active--;
      unbind();
    };
  };
  const traits = new Map<string, PeerTraits>();
  const dialBook: Extract<ClientEvent, { type: 'ADD_PEERS' }>[] = [];
  const harness = setup({
    actors: {
      pex: pexMachine,
      client: fromCallback<ClientEvent>(({ receive }) => receive((event) => event.type === 'ADD_PEERS' && dialBook.push(event))),
    },
  }).createMachine({
    invoke: [
      { id: 'client', systemId: SYSTEM_IDS.client, src: 'client' },
      {
        id: 'pex',
        src: 'pex',
        input: {
          clock,
          extension: options.enabled === false ? undefined : extension,
          listenPort: 6881,
          weAreSeed: () => options.weAreSeed ?? false,
          traitsOf: (key: string) => traits.get(key) ?? {},
        },
      },
    ],
  });
  const root = createActor(harness, { clock });
  root.start();
  const pex = root.getSnapshot().children['pex'] as PexActor;
  const emitted: PexEmitted[] = [];
  pex.on('*', (e) => emitted.push(e));
  const connect = (peer: FakePeer, peerTraits: PeerTraits = {}) => {
    traits.set(peer.key, peerTraits);
    pex.send({ type: 'PEER_CONNECTED', key: peer.key, address: peer.address, direction: peer.direction });
  };
  return { clock, extension, pex, dialBook, emitted, connect, root, bindings };
}

const keysOf = (list: readonly { host: string; port: number }[]) => list.map((p) => `${p.host}:${p.port}`);

describe('Pex actor', () => {
  test('tells each peer about the others (never itself, never an incoming peer without a listen port), then only the diff, a minute apart', () => {
    const { clock, extension, connect, pex } = startPex();
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing');
    const b = fakePeer('10.0.0.2:50000#2', 'incoming');
    const c = fakePeer('10.0.0.3:50001#3', 'incoming');
    connect(a);
    connect(b, { listenPort: 7000, seed: true });
    connect(c);
    extension.peerReady!(a);
    extension.peerReady!(b);
    assert.ok(pex.getSnapshot().matches({ sharing: 'waiting' }));

    clock.increment(firstDelayMs - 1);
    assert.equal(a.sent.length, 0, 'not before firstDelayMs');
    clock.increment(1);
    const toA = decodePexMessage(a.sent[0]!);
    assert.deepEqual(toA.added, [{ host: '10.0.0.2', port: 7000, flags: PEX_FLAGS.seed }]);
    const toB = decodePexMessage(b.sent[0]!);
    assert.deepEqual(toB.added, [{ host: '10.0.0.1', port: 6881, flags: PEX_FLAGS.reachable }]);

    // b leaves and d arrives at once: a hears both in its next message, a minute after the first.
    clock.increment(10_000);
    pex.send({ type: 'PEER_CLOSED', key: b.key });
    connect(fakePeer('10.0.0.4:6881#4', 'outgoing'));
    clock.increment(intervalMs - 10_000 - 1);
    assert.equal(a.sent.length, 1, 'no second message within the minute');
    clock.increment(1);
    assert.equal(a.sent.length, 2);
    const diff = decodePexMessage(a.sent[1]!);
    assert.deepEqual(keysOf(diff.added), ['10.0.0.4:6881']);
    assert.deepEqual(keysOf(diff.dropped), ['10.0.0.2:7000']);
    assert.equal(b.sent.length, 1, 'nothing goes to a closed peer');

    // Nothing changes: no message, however long.
    clock.increment(10 * intervalMs);
    assert.equal(a.sent.length, 2);
  });

  test('two connections to one peer (both dialled at once) are advertised once, with both flags', () => {
    const { clock, extension, connect } = startPex();
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing');
    connect(a);
    connect(fakePeer('10.0.0.2:50000#2', 'incoming'), { listenPort: 7000 });
    connect(fakePeer('10.0.0.2:7000#3', 'outgoing'));
    extension.peerReady!(a);
    clock.increment(firstDelayMs);
    assert.deepEqual(decodePexMessage(a.sent[0]!).added, [{ host: '10.0.0.2', port: 7000, flags: PEX_FLAGS.reachable }]);
  });

  test('peers learned by PEX go to the Client with source "pex"; ourselves (yourip + our port) are left out', () => {
    const { extension, connect, dialBook, emitted } = startPex();
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing', { yourIp: '10.0.0.99' });
    connect(a);
    extension.peerReady!(a);
    const payload = encodePexMessage({
      added: [
        { host: '10.0.0.7', port: 7777, flags: 0 },
        { host: '10.0.0.99', port: 6881, flags: PEX_FLAGS.reachable },
        { host: '2001:db8::8', port: 8888, flags: PEX_FLAGS.reachable },
      ],
      dropped: [],
    });
    extension.receive(a, payload);
    assert.equal(dialBook.length, 1);
    assert.equal(dialBook[0]!.source, 'pex');
    assert.deepEqual(keysOf(dialBook[0]!.peers), ['2001:db8::8:8888', '10.0.0.7:7777']);
    assert.deepEqual(emitted.at(-1), { type: 'learned', from: '10.0.0.1:6881', accepted: 2, refused: 1 });
  });

  test('a peer flooding PEX messages reaches the dial book only up to its budget', () => {
    const { extension, connect, dialBook, clock } = startPex();
    const flooder = fakePeer('6.6.6.6:6881#1', 'outgoing');
    connect(flooder);
    extension.peerReady!(flooder);
    for (let m = 0; m < 200; m++) {
      const added = Array.from({ length: 100 }, (_, i) => ({ host: `10.${m}.${i}.1`, port: 6881, flags: 0 }));
      extension.receive(flooder, encodePexMessage({ added, dropped: [] }));
      clock.increment(100);
    }
    const total = dialBook.reduce((n, e) => n + e.peers.length, 0);
    // 20 s of flooding: the burst, plus 20 s worth of the per-minute rate.
    assert.ok(total <= DEFAULT_PEX_INTAKE.sourceBurst + Math.ceil(DEFAULT_PEX_INTAKE.sourcePerMinute / 3), `${total} entries passed on`);
    assert.ok(total >= DEFAULT_PEX_INTAKE.sourceBurst);
  });

  test('a malformed ut_pex message is an ExtensionError (the hub closes the connection)', () => {
    const { extension, connect } = startPex();
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing');
    connect(a);
    assert.throws(() => extension.receive(a, Buffer.from('d5:added5:xxxxxe')), ExtensionError);
  });

  test('a peer whose later handshake drops ut_pex hears nothing more', () => {
    const { extension, connect, clock } = startPex();
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing');
    connect(a);
    connect(fakePeer('10.0.0.2:6881#2', 'outgoing'));
    extension.peerReady!(a);
    extension.peerReady!({ ...a, supports: () => false });
    clock.increment(intervalMs);
    assert.equal(a.sent.length, 0);
  });

  test('without the extension (a private torrent) the actor is off and the extension is not bound', () => {
    const { pex, extension, connect, clock, dialBook, bindings } = startPex({ enabled: false });
    assert.ok(pex.getSnapshot().matches('off'));
    assert.equal(bindings.active, 0);
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing');
    connect(a);
    extension.peerReady!(a);
    extension.receive(a, encodePexMessage({ added: [{ host: '10.0.0.7', port: 1, flags: 0 }], dropped: [] }));
    clock.increment(intervalMs);
    assert.equal(a.sent.length, 0);
    assert.equal(dialBook.length, 0);
  });

  test('stopping the actor unbinds the extension', () => {
    const { root, extension, dialBook, bindings } = startPex();
    assert.equal(bindings.active, 1);
    root.stop();
    assert.equal(bindings.active, 0);
    const a = fakePeer('10.0.0.1:6881#1', 'outgoing');
    extension.receive(a, encodePexMessage({ added: [{ host: '10.0.0.7', port: 1, flags: 0 }], dropped: [] }));
    assert.equal(dialBook.length, 0);
  });
});
