/**
 * The TrackerServer actor without sockets: a fake transport hands it requests, a simulated clock
 * drives its sweep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import {
  type TrackerServerActor,
  type TrackerServerEmitted,
  createTrackerServer,
  stopTrackerServer,
  whenTrackerListening,
} from '../../src/actors/tracker-server.js';
import {
  type TrackerEndpoints,
  type TrackerHandlers,
  type TrackerListenOptions,
  TrackerListenError,
  type TrackerServerTransport,
} from '../../src/env/tracker-server-transport.js';
import { decodeUdpResponse, encodeUdpConnectRequest, parseAnnounceResponse } from '../../src/protocol/tracker/index.js';
import type { TrackerHttpReply } from '../../src/protocol/tracker/index.js';
import { announceQuery } from '../tracker/core-helpers.js';
import { settle } from '../support/event-loop.js';
import { SteppingClock } from '../support/stepping-clock.js';

class FakeTrackerTransport implements TrackerServerTransport {
  handlers?: TrackerHandlers;
  options?: TrackerListenOptions;
  closed = 0;
  /** Settles the pending listen: a port, or an error. */
  private settle?: (result: number | Error) => void;

  constructor(private readonly mode: 'immediate' | 'manual' = 'immediate') {}

  listen(options: TrackerListenOptions, handlers: TrackerHandlers): Promise<TrackerEndpoints> {
    this.options = options;
    this.handlers = handlers;
    const endpoints = (port: number): TrackerEndpoints => ({
      address: options.host,
      port,
      close: async () => {
        this.closed++;
      },
    });
    if (this.mode === 'immediate') return Promise.resolve(endpoints(options.port || 49_999));
    return new Promise((resolve, reject) => {
      this.settle = (result) => (result instanceof Error ? reject(result) : resolve(endpoints(result)));
    });
  }

  finishListen(result: number | Error): void {
    this.settle!(result);
  }

  http(url: string, from = '127.0.0.1'): TrackerHttpReply {
    let reply: TrackerHttpReply | undefined;
    this.handlers!.http({ method: 'GET', url, remoteAddress: from, remotePort: 50_000 }, (r) => (reply = r));
    assert.ok(reply, 'answered synchronously');
    return reply;
  }

  datagram(data: Buffer, from = '127.0.0.1'): Buffer[] {
    const replies: Buffer[] = [];
    this.handlers!.datagram({ data, address: from, port: 40_000 }, (r) => replies.push(r));
    return replies;
  }
}

function start(transport: TrackerServerTransport, clock = new SimulatedClock(), extra: { interval?: number } = {}) {
  const actor = createTrackerServer({
    transport,
    clock,
    port: 6969,
    config: { interval: extra.interval ?? 60, sweepIntervalMs: 10_000 },
    secret: Buffer.alloc(32, 1),
  });
  const emitted: TrackerServerEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  return { actor, clock, emitted };
}

const state = (actor: TrackerServerActor) => actor.getSnapshot().value;

test('starting → listening on HTTP and UDP at the same port, then serves both', async () => {
  const transport = new FakeTrackerTransport();
  const { actor, emitted } = start(transport);
  assert.equal(state(actor), 'starting');
  assert.deepEqual(await whenTrackerListening(actor), { address: '127.0.0.1', port: 6969 });
  assert.deepEqual(transport.options, { host: '127.0.0.1', port: 6969, http: true, udp: true });
  assert.deepEqual(emitted[0], { type: 'listening', address: '127.0.0.1', port: 6969, http: true, udp: true });

  transport.http(`/announce?${announceQuery({ peer: 1, port: 7001, left: 0 })}`, '192.0.2.1');
  const reply = parseAnnounceResponse(transport.http(`/announce?${announceQuery({ peer: 2, port: 7002 })}`, '192.0.2.2').body);
  assert.equal(reply.type, 'success');
  assert.deepEqual((reply as { peers: unknown[] }).peers, [{ host: '192.0.2.1', port: 7001 }]);

  const [connect] = transport.datagram(encodeUdpConnectRequest({ transactionId: 5 }));
  assert.equal(decodeUdpResponse(connect!, 'IPv4').action, 'connect');
  assert.deepEqual(transport.datagram(Buffer.alloc(3)), [], 'nothing to answer');

  assert.equal(transport.http('/nope').status, 404);
  const stats = JSON.parse(transport.http('/stats').body.toString()) as { seeders: number; leechers: number; requests: { udp: { connect: number } } };
  assert.deepEqual([stats.seeders, stats.leechers, stats.requests.udp.connect], [1, 1, 1]);
  await stopTrackerServer(actor);
});

test('peers expire on the clock: the sweep runs every sweepIntervalMs and drops peers silent for 2 × interval', async () => {
  const transport = new FakeTrackerTransport();
  const clock = new SteppingClock();
  const { actor, emitted } = start(transport, clock, { interval: 60 });
  await whenTrackerListening(actor);
  transport.http(`/announce?${announceQuery({ peer: 1, port: 7001 })}`);
  await clock.advance(60_000);
  transport.http(`/announce?${announceQuery({ peer: 2, port: 7002 })}`);
  await clock.advance(50_000);
  assert.equal(actor.getSnapshot().context.core.stats().peers, 2);
  await clock.advance(10_000); // peer 1 was last seen 2 × 60 s ago
  assert.equal(actor.getSnapshot().context.core.stats().peers, 1);
  const swept = emitted.filter((e) => e.type === 'swept');
  assert.equal(swept.length, 12);
  assert.deepEqual(swept.at(-1), { type: 'swept', expiredPeers: 1, droppedTorrents: 0, stats: actor.getSnapshot().context.core.stats() });
  await clock.advance(60_000);
  assert.equal(actor.getSnapshot().context.core.stats().torrents, 0);
  await stopTrackerServer(actor);
});

test('a port in use: failed, with a message a user can act on', async () => {
  const transport = new FakeTrackerTransport('manual');
  const { actor, emitted } = start(transport);
  const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:6969'), { code: 'EADDRINUSE' });
  transport.finishListen(new TrackerListenError('UDP', 'EADDRINUSE', inUse));
  await assert.rejects(whenTrackerListening(actor), /^Error: port 6969 is already in use on 127\.0\.0\.1 \(UDP\)$/);
  assert.equal(state(actor), 'failed');
  assert.deepEqual(emitted, [{ type: 'failed', error: 'port 6969 is already in use on 127.0.0.1 (UDP)' }]);
  assert.equal(actor.getSnapshot().output?.error, 'port 6969 is already in use on 127.0.0.1 (UDP)');
});

test('STOP: listening → stopping → stopped, sockets closed; a request racing the stop gets 503', async () => {
  const transport = new FakeTrackerTransport();
  const { actor } = start(transport);
  await whenTrackerListening(actor);
  actor.send({ type: 'STOP' });
  assert.equal(state(actor), 'stopping');
  assert.equal(transport.http('/stats').status, 503);
  assert.deepEqual(transport.datagram(encodeUdpConnectRequest({ transactionId: 5 })), []);
  await settle();
  assert.equal(state(actor), 'stopped');
  assert.equal(transport.closed, 1);
  assert.equal(transport.http('/stats').status, 503, 'after the actor is done too');
  assert.ok(actor.getSnapshot().output?.stats);
});

test('STOP while still binding: the sockets bound late are closed, not leaked', async () => {
  const transport = new FakeTrackerTransport('manual');
  const { actor } = start(transport);
  actor.send({ type: 'STOP' });
  assert.equal(state(actor), 'stopped');
  transport.finishListen(6969);
  await settle();
  assert.equal(transport.closed, 1);
});

test('HTTP only and UDP only are passed to the transport; neither is refused', async () => {
  for (const [http, udp] of [
    [true, false],
    [false, true],
  ] as const) {
    const transport = new FakeTrackerTransport();
    const actor = createTrackerServer({ transport, clock: new SimulatedClock(), port: 0, http, udp });
    actor.start();
    await whenTrackerListening(actor);
    assert.deepEqual(transport.options, { host: '127.0.0.1', port: 0, http, udp });
    await stopTrackerServer(actor);
  }
  assert.throws(() => createTrackerServer({ transport: new FakeTrackerTransport(), clock: new SimulatedClock(), port: 0, http: false, udp: false }), /HTTP, UDP or both/);
});

test('requests are answered beside the machine: no event, no new snapshot, unless inspected', async () => {
  const transport = new FakeTrackerTransport();
  const { actor } = start(transport);
  await whenTrackerListening(actor);
  const before = actor.getSnapshot();
  transport.http(`/announce?${announceQuery({ peer: 1, port: 7001 })}`);
  assert.equal(transport.datagram(encodeUdpConnectRequest({ transactionId: 5 })).length, 1);
  assert.equal(actor.getSnapshot(), before, 'the machine took no step');
  await stopTrackerServer(actor);
});

test('inspected, each request is also sent to the actor as a notice (what traces record), and still answered', async () => {
  const transport = new FakeTrackerTransport();
  const seen: string[] = [];
  const actor = createTrackerServer(
    { transport, clock: new SimulatedClock(), port: 6969, secret: Buffer.alloc(32, 1) },
    { inspect: (e) => (e.type === '@xstate.event' ? seen.push((e.event as { type: string }).type) : undefined) },
  );
  actor.start();
  await whenTrackerListening(actor);
  assert.equal(transport.http(`/announce?${announceQuery({ peer: 1, port: 7001 })}`).status, 200);
  assert.equal(transport.datagram(encodeUdpConnectRequest({ transactionId: 5 })).length, 1);
  assert.equal(actor.getSnapshot().value, 'listening');
  assert.deepEqual(seen.filter((t) => t === 'HTTP.REQUEST' || t === 'UDP.DATAGRAM'), ['HTTP.REQUEST', 'UDP.DATAGRAM']);
  await stopTrackerServer(actor);
});

test('the allocation-free UDP entry point answers into the buffer it is given, and nothing outside `listening`', async () => {
  const transport = new FakeTrackerTransport();
  const { actor } = start(transport);
  await whenTrackerListening(actor);
  const out = Buffer.alloc(1500);
  const length = transport.handlers!.answerDatagram(encodeUdpConnectRequest({ transactionId: 9 }), '127.0.0.1', 40_000, out);
  assert.equal(length, 16);
  const reply = decodeUdpResponse(out.subarray(0, length), 'IPv4');
  assert.deepEqual([reply.action, reply.transactionId], ['connect', 9]);
  actor.send({ type: 'STOP' });
  assert.equal(transport.handlers!.answerDatagram(encodeUdpConnectRequest({ transactionId: 9 }), '127.0.0.1', 40_000, out), 0);
  await stopTrackerServer(actor);
});
