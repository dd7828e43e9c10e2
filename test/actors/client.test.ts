import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedClock, createActor } from 'xstate';
import { type ClientEmitted, type ClientInput, clientMachine } from '../../src/actors/client.js';
import type { PeerSocket } from '../../src/env/transport.js';
import { assertDialBook } from '../../src/policy/dial-book.js';
import { FakeTransport, flush } from './fake-transport.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

function startClient(overrides: Partial<ClientInput> = {}) {
  const clock = new SimulatedClock();
  const transport = new FakeTransport();
  const connected: { socket: PeerSocket; address: string }[] = [];
  const actor = createActor(clientMachine, {
    clock,
    input: {
      transport,
      clock,
      onConnected: (socket, address) => connected.push({ socket, address }),
      ...overrides,
    },
  });
  const emitted: ClientEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const state = () => actor.getSnapshot();
  const book = () => state().context.book;
  const check = () => assertDialBook(book(), state().context.options);
  return { clock, transport, actor, connected, emitted, state, book, check };
}

function peers(n: number, from = 1): { host: string; port: number }[] {
  return Array.from({ length: n }, (_, i) => ({ host: `10.0.${Math.floor((from + i) / 250)}.${((from + i) % 250) + 1}`, port: 6881 }));
}

test('starts idle and dials nothing without candidates', () => {
  const { actor, state, transport } = startClient();
  assert.ok(state().matches({ active: 'idle' }));
  assert.equal(transport.dials.length, 0);
  actor.stop();
});

test('keeps at most maxHalfOpen dials in flight, starting a new one as each ends', async () => {
  const { actor, state, transport, connected, emitted, book, check } = startClient({ maxHalfOpen: 3, maxPeers: 50 });
  actor.send({ type: 'ADD_PEERS', peers: peers(10), source: 'tracker' });
  assert.equal(transport.pending.length, 3);
  assert.ok(state().matches({ active: 'dialing' }));
  assert.deepEqual(
    emitted.filter((e) => e.type === 'dialing').map((e) => (e as { address: string }).address),
    ['10.0.0.2:6881', '10.0.0.3:6881', '10.0.0.4:6881'],
  );

  transport.pending[0]!.fail();
  await flush();
  assert.equal(transport.pending.length, 3, 'a failed dial frees its slot');
  check();

  const socket = transport.pending[0]!.succeed();
  await flush();
  assert.equal(connected.length, 1);
  assert.equal(connected[0]!.socket, socket);
  assert.equal(connected[0]!.address, '10.0.0.3:6881');
  assert.equal(book().connected.size, 1);
  assert.equal(transport.pending.length, 3, 'a connected dial frees its half-open slot');
  assert.equal(transport.dials.length, 5);
  check();
  actor.stop();
});

test('a failed address is backed off 30 s, 60 s, 120 s… and given up after maxFailures', async () => {
  const { actor, clock, transport, emitted, state } = startClient({ maxFailures: 4 });
  actor.send({ type: 'ADD_PEERS', peers: [{ host: '10.1.1.1', port: 51413 }], source: 'cli' });
  assert.equal(transport.dials.length, 1);

  const expected = [30 * SECOND, 60 * SECOND, 120 * SECOND];
  for (const wait of expected) {
    const failedAt = clock.now();
    transport.pending[0]!.fail();
    await flush();
    assert.ok(state().matches({ active: 'idle' }));
    clock.set(failedAt + wait - 1);
    await flush();
    assert.equal(transport.pending.length, 0, `no redial before ${wait} ms`);
    clock.set(failedAt + wait);
    await flush();
    assert.equal(transport.pending.length, 1, `redial at ${wait} ms`);
    assert.ok(state().matches({ active: 'dialing' }));
  }
  transport.pending[0]!.fail();
  await flush();
  const failures = emitted.filter((e) => e.type === 'dial-failed');
  assert.deepEqual(
    failures.map((e) => [e.failures, e.gaveUp]),
    [
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ],
  );
  assert.equal(failures[0]!.retryAt, 30 * SECOND);
  clock.increment(2 * 60 * MINUTE);
  await flush();
  assert.equal(transport.dials.length, 4, 'a given-up address is never dialled again');
  actor.send({ type: 'ADD_PEERS', peers: [{ host: '10.1.1.1', port: 51413 }], source: 'tracker' });
  assert.equal(transport.dials.length, 4, 'not even when a tracker offers it again');
  actor.stop();
});

test('the back-off is capped at 30 minutes', async () => {
  const { actor, clock, transport } = startClient({ maxFailures: 20 });
  actor.send({ type: 'ADD_PEERS', peers: [{ host: '10.1.1.1', port: 51413 }], source: 'cli' });
  let last = 0;
  for (let i = 0; i < 8; i++) {
    const failedAt = clock.now();
    transport.pending[0]!.fail();
    await flush();
    // Step through time until the redial comes.
    while (transport.pending.length === 0) {
      clock.increment(10 * SECOND);
      await flush();
    }
    last = clock.now() - failedAt;
  }
  assert.equal(last, 30 * MINUTE);
  actor.stop();
});

test('saturated at maxPeers, counting incoming peers; a closed peer makes room', async () => {
  const { actor, state, transport, book } = startClient({ maxPeers: 3 });
  actor.send({ type: 'ADD_PEERS', peers: peers(6), source: 'tracker' });
  assert.equal(transport.pending.length, 3, 'live + half-open never exceeds maxPeers');
  actor.send({ type: 'PEER_CONNECTED', address: '192.168.9.9:40001' }); // incoming
  transport.pending[0]!.succeed();
  transport.pending[0]!.succeed();
  await flush();
  assert.equal(book().connected.size, 3);
  assert.ok(state().matches({ active: 'saturated' }));
  // The third dial completes while full: it is closed and the limit holds.
  const late = transport.pending[0]!.succeed();
  await flush();
  assert.ok(late.destroyed);
  assert.equal(book().connected.size, 3);
  assert.equal(transport.dials.length, 3);

  actor.send({ type: 'PEER_CLOSED', address: '192.168.9.9:40001', reason: 'connection closed by peer' });
  assert.equal(transport.pending.length, 1, 'room for one more dial');
  assert.ok(state().matches({ active: 'dialing' }));
  actor.stop();
});

test('dedupes candidates, ignores invalid ones, and never dials a connected peer', () => {
  const { actor, transport, book, emitted } = startClient({ maxHalfOpen: 50 });
  actor.send({ type: 'PEER_CONNECTED', address: '10.9.9.9:6881' });
  actor.send({
    type: 'ADD_PEERS',
    source: 'tracker',
    peers: [
      { host: '10.0.0.1', port: 6881 },
      { host: '10.0.0.1', port: 6881 },
      { host: '::1', port: 6881 },
      { host: '[::1]', port: 6881 },
      { host: '0:0:0:0:0:0:0:1', port: 6881 },
      { host: 'Example.ORG', port: 6881 },
      { host: 'example.org', port: 6881 },
      { host: '10.9.9.9', port: 6881 },
      { host: '10.0.0.2', port: 0 },
      { host: '10.0.0.2', port: 65536 },
      { host: '10.0.0.2', port: -1 },
      { host: '10.0.0.2', port: 1.5 },
      { host: '', port: 6881 },
      { host: 'not a host!', port: 6881 },
      { host: '0.0.0.0', port: 6881 },
      { host: '010.0.0.1', port: 6881 },
    ],
  });
  assert.deepEqual([...book().candidates.keys()], ['10.0.0.1:6881', '[::1]:6881', 'example.org:6881', '10.9.9.9:6881']);
  assert.deepEqual(
    transport.dials.map((d) => `${d.host}:${d.port}`),
    ['10.0.0.1:6881', '::1:6881', 'example.org:6881'],
    'the connected 10.9.9.9 is not dialled',
  );
  const summary = emitted.find((e) => e.type === 'candidates');
  assert.deepEqual(summary, { type: 'candidates', added: 4, ignored: 12, total: 4 });
  actor.stop();
});

test('caps the candidate list so a flood of peers cannot grow memory', () => {
  const { actor, book, check, transport } = startClient();
  actor.send({ type: 'ADD_PEERS', peers: peers(5000), source: 'pex' });
  actor.send({ type: 'ADD_PEERS', peers: peers(5000, 6000), source: 'pex' });
  assert.equal(book().candidates.size, 2000);
  assert.equal(transport.pending.length, 8);
  check();
  actor.stop();
});

test('given-up candidates make room for new ones when the list is full', async () => {
  const { actor, book, transport, clock } = startClient({ maxCandidates: 3, maxFailures: 1, maxHalfOpen: 8 });
  actor.send({ type: 'ADD_PEERS', peers: peers(3), source: 'tracker' });
  transport.pending[0]!.fail();
  await flush();
  actor.send({ type: 'ADD_PEERS', peers: peers(2, 100), source: 'tracker' });
  assert.equal(book().candidates.size, 3);
  assert.ok(!book().candidates.has('10.0.0.2:6881'), 'the given-up one was evicted');
  assert.ok(book().candidates.has('10.0.0.101:6881'));
  assert.ok(!book().candidates.has('10.0.0.102:6881'), 'no more room');
  clock.increment(MINUTE);
  actor.stop();
});

test('a peer that closed after a good connection is re-dialled after a back-off; redial:false never', async () => {
  const { actor, clock, transport, connected } = startClient();
  actor.send({ type: 'ADD_PEERS', peers: [{ host: '10.2.2.2', port: 7000 }, { host: '10.2.2.3', port: 7000 }], source: 'cli' });
  transport.pending[0]!.succeed();
  transport.pending[0]!.succeed();
  await flush();
  assert.equal(connected.length, 2);
  actor.send({ type: 'PEER_CLOSED', address: '10.2.2.2:7000', reason: 'connection closed by peer' });
  actor.send({ type: 'PEER_CLOSED', address: '10.2.2.3:7000', reason: 'connected to ourselves', redial: false });
  assert.equal(transport.pending.length, 0);
  clock.set(30 * SECOND - 1);
  assert.equal(transport.pending.length, 0);
  clock.set(30 * SECOND);
  assert.equal(transport.pending.length, 1);
  assert.equal(transport.pending[0]!.host, '10.2.2.2');
  clock.set(60 * MINUTE);
  assert.equal(transport.dials.length, 3);
  actor.stop();
});

test('PAUSE aborts dials and dials nothing; RESUME starts again', async () => {
  const { actor, state, transport, connected, book } = startClient({ maxHalfOpen: 2 });
  actor.send({ type: 'ADD_PEERS', peers: peers(4), source: 'tracker' });
  const [first, second] = transport.pending;
  actor.send({ type: 'PAUSE' });
  assert.ok(state().matches('paused'));
  assert.equal(book().dialing.size, 0);
  // A connect that completes after the pause is closed, not handed over.
  const late = first!.succeed();
  second!.fail();
  await flush();
  assert.ok(late.destroyed);
  assert.equal(connected.length, 0);
  actor.send({ type: 'ADD_PEERS', peers: peers(2, 50), source: 'tracker' });
  assert.equal(transport.pending.length, 0, 'no dial while paused');
  assert.equal(book().candidates.size, 6, 'but the candidates are kept');

  actor.send({ type: 'RESUME' });
  assert.ok(state().matches({ active: 'dialing' }));
  assert.equal(transport.pending.length, 2);
  assert.equal(transport.pending[0]!.host, '10.0.0.2', 'an aborted dial is not a failure: it goes again first');
  actor.stop();
});

test('STOP ends the actor and closes every dial still in flight', async () => {
  const { actor, state, clock, transport, connected } = startClient({ maxHalfOpen: 3, localAddress: '127.0.0.5', connectTimeoutMs: 4000 });
  actor.send({ type: 'ADD_PEERS', peers: peers(5), source: 'tracker' });
  assert.deepEqual(
    transport.pending.map((d) => [d.localAddress, d.timeoutMs]),
    [
      ['127.0.0.5', 4000],
      ['127.0.0.5', 4000],
      ['127.0.0.5', 4000],
    ],
  );
  transport.pending[0]!.fail();
  await flush();
  actor.send({ type: 'STOP' });
  assert.ok(state().matches('stopped'));
  assert.equal(state().status, 'done');
  const sockets = transport.pending.map((d) => d.succeed());
  await flush();
  assert.equal(sockets.length, 3);
  assert.ok(sockets.every((s) => s.destroyed));
  assert.equal(connected.length, 0);
  clock.increment(2 * 60 * MINUTE);
  await flush();
  assert.equal(transport.dials.length, 4, 'no timer dials after STOP');
});

test('a throwing onConnected costs that connection only', async () => {
  const { actor, state, transport, book } = startClient({
    onConnected: () => {
      throw new Error('torrent is gone');
    },
  });
  actor.send({ type: 'ADD_PEERS', peers: peers(1), source: 'tracker' });
  const socket = transport.pending[0]!.succeed();
  await flush();
  assert.ok(socket.destroyed);
  assert.equal(book().connected.size, 0);
  assert.equal(state().status, 'active');
  actor.stop();
});
