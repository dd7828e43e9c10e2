import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, test } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { SimulatedClock, createActor, waitFor } from 'xstate';
import { type IncomingHandler, type ServerEmitted, type ServerInput, serverMachine, whenListening } from '../../src/actors/server.js';
import { systemClock } from '../../src/env/clock.js';
import { type PeerSocket, tcpTransport } from '../../src/env/transport.js';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { type Handshake, type WireMessage, encodeHandshake, encodeMessage } from '../../src/protocol/wire/index.js';
import { settleWithin } from '../support/child-output.js';
import { until } from '../support/until.js';
import { FakeTransport, flush } from './fake-transport.js';

const KNOWN = Buffer.alloc(20, 0xaa);
const UNKNOWN = Buffer.alloc(20, 0xbb);
const PEER_ID = Buffer.from('-TS0001-abcdefghijkl');

const handshakeFor = (infoHash: Buffer) =>
  encodeHandshake({ infoHash, peerId: PEER_ID, flags: { extensionProtocol: true, fastExtension: true } });

interface Routed {
  socket: PeerSocket;
  handshake: Handshake;
  rest: Buffer;
}

/** Whatever a test opened is closed after it, also when it failed half-way (or the run would hang). */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A server whose route knows KNOWN and records each socket it is handed. */
function startServer(overrides: Partial<ServerInput> = {}) {
  const routed: Routed[] = [];
  const handler: IncomingHandler = (socket, handshake, rest) => {
    socket.on('error', () => {});
    routed.push({ socket, handshake, rest });
  };
  const clock = overrides.clock ?? systemClock;
  const actor = createActor(serverMachine, {
    ...(clock instanceof SimulatedClock ? { clock } : {}),
    systemId: 'server',
    input: {
      transport: tcpTransport,
      clock,
      host: '127.0.0.1',
      port: 0,
      route: (infoHash) => (infoHash.equals(KNOWN) ? handler : undefined),
      ...overrides,
    },
  });
  const emitted: ServerEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const close = () => {
    for (const r of routed) r.socket.destroy();
    actor.send({ type: 'STOP' });
  };
  cleanups.push(close);
  const stop = async () => {
    close();
    await waitFor(actor, (s) => s.status === 'done', { timeout: 3000 });
  };
  return { actor, routed, emitted, stop };
}

/** The first emitted event that matches: one already emitted, or the next one. */
function nextEmitted(
  { actor, emitted }: Pick<ReturnType<typeof startServer>, 'actor' | 'emitted'>,
  predicate: (e: ServerEmitted) => boolean,
  what: string,
  timeoutMs = 3000,
): Promise<ServerEmitted> {
  const seen = emitted.find(predicate);
  if (seen) return Promise.resolve(seen);
  let subscription: { unsubscribe(): void } | undefined;
  const next = new Promise<ServerEmitted>((resolve) => {
    subscription = actor.on('*', (e) => {
      if (predicate(e)) resolve(e);
    });
  });
  return settleWithin(next, timeoutMs, () => `${what}: not emitted within ${timeoutMs} ms (emitted: ${JSON.stringify(emitted)})`).finally(() =>
    subscription?.unsubscribe(),
  );
}

/** The next `count` messages of the wire, within 3 s. */
function nextMessages(wire: PeerWire, count: number): Promise<WireMessage[]> {
  return settleWithin(firstValueFrom(wire.messages$.pipe(take(count), toArray())), 3000, () => `${count} messages: not within 3000 ms`);
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    cleanups.push(() => socket.destroy());
    socket.on('error', reject);
  });
}

/** Resolves when the server side has closed this connection. */
function closedByServer(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    socket.resume();
  });
}

test('listens on a free port, routes a handshake, and the bytes after it reach the PeerWire', { timeout: 5000 }, async () => {
  const { actor, routed, emitted, stop } = startServer();
  const { port } = await whenListening(actor);
  assert.ok(port > 0);
  assert.equal(actor.getSnapshot().context.port, port);
  assert.deepEqual(emitted[0], { type: 'listening', address: '127.0.0.1', port });

  const client = await dial(port);
  // The handshake and two messages in one write, a third message later.
  client.write(Buffer.concat([handshakeFor(KNOWN), encodeMessage({ type: 'have', index: 7 }), encodeMessage({ type: 'interested' })]));
  await nextEmitted({ actor, emitted }, (e) => e.type === 'accepted', 'the accepted event');
  assert.equal(routed.length, 1);
  const { socket, handshake, rest } = routed[0]!;
  assert.ok(handshake.infoHash.equals(KNOWN));
  assert.ok(handshake.peerId.equals(PEER_ID));
  assert.ok(handshake.flags.fastExtension);
  const accepted = emitted.find((e) => e.type === 'accepted');
  assert.deepEqual(accepted, { type: 'accepted', address: `127.0.0.1:${client.localPort}`, infoHash: KNOWN.toString('hex') });

  const wire = new PeerWire(socket, { clock: systemClock, expectHandshake: false, initialBytes: rest });
  const messages = nextMessages(wire, 3);
  client.write(encodeMessage({ type: 'have', index: 9 }));
  assert.deepEqual(await messages, [{ type: 'have', index: 7 }, { type: 'interested' }, { type: 'have', index: 9 }]);
  assert.deepEqual(actor.getSnapshot().context.live, [wire.address]);

  wire.close('test over');
  client.destroy();
  await stop();
  assert.ok(actor.getSnapshot().matches('stopped'));
});

test('bytes after the handshake wait in the socket when the torrent takes it over later', { timeout: 5000 }, async () => {
  const { actor, routed, emitted, stop } = startServer();
  const { port } = await whenListening(actor);
  const client = await dial(port);
  client.write(Buffer.concat([handshakeFor(KNOWN), encodeMessage({ type: 'have', index: 1 })]));
  await nextEmitted({ actor, emitted }, (e) => e.type === 'accepted', 'the accepted event');
  const { socket, rest } = routed[0]!;
  // Nobody reads the socket until the later message has arrived: it waits there, unread, and is not lost.
  const later = encodeMessage({ type: 'have', index: 2 });
  const unread = socket.readableLength;
  client.write(later);
  await until(() => socket.readableLength >= unread + later.length, { what: 'the later message waiting in the unread socket', timeoutMs: 3000 });
  const wire = new PeerWire(socket, { clock: systemClock, expectHandshake: false, initialBytes: rest });
  assert.deepEqual(await nextMessages(wire, 2), [{ type: 'have', index: 1 }, { type: 'have', index: 2 }]);
  wire.close('test over');
  client.destroy();
  await stop();
});

test('a handshake for an unknown infohash is dropped', { timeout: 5000 }, async () => {
  const { actor, routed, emitted, stop } = startServer();
  const { port } = await whenListening(actor);
  const client = await dial(port);
  client.write(handshakeFor(UNKNOWN));
  await closedByServer(client);
  const rejected = await nextEmitted({ actor, emitted }, (e) => e.type === 'rejected', 'the rejected event');
  assert.equal((rejected as { reason: string }).reason, `unknown infohash ${UNKNOWN.toString('hex')}`);
  assert.equal(routed.length, 0);
  assert.equal(actor.getSnapshot().context.counts.rejected, 1);
  await stop();
});

test('garbage is dropped on its first byte, without waiting for 68', { timeout: 5000 }, async () => {
  const { actor, emitted, stop } = startServer();
  const { port } = await whenListening(actor);
  const client = await dial(port);
  client.write('G'); // "GET / HTTP/1.1"… starts with a byte that cannot start a handshake
  await closedByServer(client);
  const rejected = await nextEmitted({ actor, emitted }, (e) => e.type === 'rejected', 'the rejected event');
  assert.match((rejected as { reason: string }).reason, /^not a BitTorrent handshake: handshake starts with 71/);

  const second = await dial(port);
  second.write(Buffer.from('\x13BitTorrent protocoX'));
  await closedByServer(second);
  await stop();
});

test('at the limit the connection waiting longest for its handshake makes room; with none waiting the newcomer is refused; CONNECTION_CLOSED frees a slot', { timeout: 5000 }, async () => {
  const { actor, routed, emitted, stop } = startServer({ maxConnections: 2 });
  const { port } = await whenListening(actor);
  const handedOver = await dial(port);
  handedOver.write(handshakeFor(KNOWN));
  await nextEmitted({ actor, emitted }, (e) => e.type === 'accepted', 'the accepted event');
  const idle = await dial(port); // sends nothing: holds the second slot
  const idlePort = idle.localPort;
  await waitFor(actor, (s) => s.context.handshaking.length === 1, { timeout: 3000 });

  // A newcomer is still read: the idle one is dropped to make room.
  const newcomer = await dial(port);
  await closedByServer(idle);
  const evicted = await nextEmitted({ actor, emitted }, (e) => e.type === 'evicted', 'the evicted event');
  assert.deepEqual(evicted, { type: 'evicted', address: `127.0.0.1:${idlePort}`, reason: 'connection limit of 2 reached: waited longest without a handshake' });
  newcomer.write(handshakeFor(KNOWN));
  await waitFor(actor, (s) => s.context.counts.accepted === 2, { timeout: 3000 });
  assert.equal(actor.getSnapshot().context.counts.evicted, 1);

  // Both slots handed over, nobody waiting: the next one is refused at once.
  const refused = await dial(port);
  await closedByServer(refused);
  const rejected = await nextEmitted({ actor, emitted }, (e) => e.type === 'rejected', 'the rejected event');
  assert.equal((rejected as { reason: string }).reason, 'connection limit of 2 reached');
  assert.equal(actor.getSnapshot().context.counts.overLimit, 1);

  // The torrent reports a handed-over connection closed: room for one more.
  routed[0]!.socket.destroy();
  actor.send({ type: 'CONNECTION_CLOSED', address: `127.0.0.1:${handedOver.localPort}` });
  assert.equal(actor.getSnapshot().context.live.length, 1);
  const again = await dial(port);
  again.write(handshakeFor(KNOWN));
  await waitFor(actor, (s) => s.context.counts.accepted === 3, { timeout: 3000 });
  assert.equal(actor.getSnapshot().context.counts.overLimit, 1);

  for (const s of [handedOver, idle, newcomer, refused, again]) s.destroy();
  await stop();
});

test('one address holds at most maxPendingPerAddress connections without a handshake; others are still read', { timeout: 5000 }, async () => {
  const { actor, emitted, stop } = startServer({ maxPendingPerAddress: 2 });
  const { port } = await whenListening(actor);
  const first = await dial(port);
  const second = await dial(port);
  await waitFor(actor, (s) => s.context.handshaking.length === 2, { timeout: 3000 });
  const third = await dial(port);
  await closedByServer(third);
  const rejected = await nextEmitted({ actor, emitted }, (e) => e.type === 'rejected', 'the rejected event');
  assert.equal((rejected as { reason: string }).reason, '2 connections from 127.0.0.1 have not completed their handshake');
  // Another address is not held back by this one.
  const other = await new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }, () => resolve(socket));
    cleanups.push(() => socket.destroy());
    socket.on('error', reject);
  });
  other.write(handshakeFor(KNOWN));
  await nextEmitted({ actor, emitted }, (e) => e.type === 'accepted', 'the other address accepted');
  // A handshake frees its place: the first address may open another.
  first.write(handshakeFor(KNOWN));
  await waitFor(actor, (s) => s.context.counts.accepted === 2, { timeout: 3000 });
  const fourth = await dial(port);
  await waitFor(actor, (s) => s.context.handshaking.length === 2, { timeout: 3000 });
  for (const s of [first, second, third, other, fourth]) s.destroy();
  await stop();
});

test('a port in use fails with a clear message', { timeout: 5000 }, async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const { actor, emitted } = startServer({ port });
    await assert.rejects(whenListening(actor), { message: `port ${port} is already in use on 127.0.0.1` });
    const snapshot = actor.getSnapshot();
    assert.ok(snapshot.matches('failed'));
    assert.equal(snapshot.status, 'done');
    assert.deepEqual(snapshot.output, { port: undefined, error: `port ${port} is already in use on 127.0.0.1` });
    assert.deepEqual(emitted, [{ type: 'failed', error: `port ${port} is already in use on 127.0.0.1` }]);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

// ——— timing, with a fake transport and XState's SimulatedClock ———

function startSimulated(overrides: Partial<ServerInput> = {}) {
  const clock = new SimulatedClock();
  const transport = new FakeTransport();
  const server = startServer({ transport, clock, ...overrides });
  return { ...server, clock, transport };
}

test('a slowloris sending one byte a second is dropped at the handshake timeout', { timeout: 5000 }, async () => {
  const { actor, clock, transport, emitted, routed, stop } = startSimulated({ handshakeTimeoutMs: 10_000 });
  await whenListening(actor);
  const socket = transport.incoming('10.0.0.7', 51000);
  const bytes = handshakeFor(KNOWN);
  for (let second = 0; second < 10; second++) {
    socket.write(bytes.subarray(second, second + 1));
    await flush();
    assert.ok(!socket.destroyed, `still open after ${second} s`);
    clock.increment(1000);
  }
  await flush();
  assert.ok(socket.destroyed, 'dropped at 10 s');
  assert.deepEqual(emitted.at(-1), {
    type: 'rejected',
    address: '10.0.0.7:51000',
    reason: 'handshake timed out after 10000 ms (10 of 68 bytes)',
  });
  assert.equal(routed.length, 0);
  assert.deepEqual(actor.getSnapshot().context.handshaking, []);
  await stop();
});

test('a handshake that completes before the timeout is routed, and its timer is cleared', { timeout: 5000 }, async () => {
  const { actor, clock, transport, routed, stop } = startSimulated({ handshakeTimeoutMs: 5000 });
  await whenListening(actor);
  const socket = transport.incoming();
  const bytes = handshakeFor(KNOWN);
  socket.write(bytes.subarray(0, 30));
  await flush();
  clock.increment(4999);
  socket.write(bytes.subarray(30));
  await flush();
  assert.equal(routed.length, 1);
  clock.increment(60_000);
  await flush();
  assert.ok(!socket.destroyed, 'the timeout no longer applies once handed over');
  await stop();
});

test('STOP closes pending handshakes and the listener', { timeout: 5000 }, async () => {
  const { actor, transport, stop } = startSimulated();
  await whenListening(actor);
  const pending = [transport.incoming(), transport.incoming()];
  pending[0]!.write(handshakeFor(KNOWN).subarray(0, 20));
  await flush();
  assert.equal(actor.getSnapshot().context.handshaking.length, 2);
  await stop();
  assert.ok(pending.every((s) => s.destroyed));
  assert.equal(transport.listening, false);
  assert.equal(actor.getSnapshot().value, 'stopped');
});

test('a connection that closes mid-handshake is forgotten; a throwing handler costs only its connection', { timeout: 5000 }, async () => {
  const { actor, transport, emitted, stop } = startSimulated({
    route: () => () => {
      throw new Error('torrent is gone');
    },
  });
  await whenListening(actor);
  const quitter = transport.incoming('10.0.0.8', 1);
  quitter.write(handshakeFor(KNOWN).subarray(0, 10));
  quitter.end();
  await flush();
  await flush();
  assert.ok(emitted.some((e) => e.type === 'rejected' && e.reason === 'connection closed during the handshake'));

  const socket = transport.incoming('10.0.0.9', 2);
  socket.write(handshakeFor(KNOWN));
  await flush();
  assert.ok(socket.destroyed);
  assert.ok(emitted.some((e) => e.type === 'rejected' && e.reason === 'handler failed: torrent is gone'));
  const { context } = actor.getSnapshot();
  assert.deepEqual([context.live, context.handshaking], [[], []]);
  assert.ok(actor.getSnapshot().matches('listening'));
  await stop();
});

test('STOP while still binding closes the listener as soon as it exists', { timeout: 5000 }, async () => {
  const { actor, transport } = startSimulated();
  actor.send({ type: 'STOP' });
  assert.equal(actor.getSnapshot().value, 'stopped');
  await flush();
  assert.equal(transport.listening, false);
  assert.throws(() => transport.incoming(), /not listening/);
});
