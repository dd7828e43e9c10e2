import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SimulatedClock, createActor } from 'xstate';
import {
  type TrackerClientEmitted,
  type TrackerClientInput,
  backoffMs,
  trackerClientMachine,
} from '../../src/actors/tracker-client.js';
import { createTrackerTransport } from '../../src/env/tracker-transport.js';
import type { PeerAddress, UdpAnnounceRequest } from '../../src/protocol/tracker/index.js';
import {
  type FakeAnswer,
  FakeTransport,
  type HttpTrackerAnswer,
  flush,
  recordEmitted,
  startHttpTracker,
  startUdpTracker,
} from './trackers.js';
import { until } from '../support/until.js';

// Bytes outside ASCII, so escaping mistakes show.
const INFO_HASH = Buffer.from('00ff10e0c0a1b2c3d4e5f60718293a4b5c6d7e8f', 'hex');
const PEER_ID = Buffer.from('-AR0100-\x00\xff\x10abcdefghi', 'latin1');
const KEY = 0xdeadbeef;
const MIB = 1024 * 1024;

/** Keeps every tier in its given order: Fisher–Yates with j = i never swaps. */
const keepOrder = () => 0.999;

interface Harness {
  actor: ReturnType<typeof createActor<typeof trackerClientMachine>>;
  clock: SimulatedClock;
  stats: { uploaded: number; downloaded: number; left: number };
  found: { peers: PeerAddress[]; source: string }[];
  emitted: TrackerClientEmitted[];
  state: () => unknown;
  of: <T extends TrackerClientEmitted['type']>(type: T) => Extract<TrackerClientEmitted, { type: T }>[];
}

function startClient(
  options: Pick<TrackerClientInput, 'tiers' | 'transport'> & Partial<TrackerClientInput> & { clock?: SimulatedClock },
): Harness {
  const clock = options.clock ?? new SimulatedClock();
  const stats = { uploaded: 0, downloaded: 0, left: 1000 };
  const found: Harness['found'] = [];
  const actor = createActor(trackerClientMachine, {
    clock,
    input: {
      infoHash: INFO_HASH,
      peerId: PEER_ID,
      port: 6881,
      stats: () => ({ ...stats }),
      onPeers: (peers, source) => found.push({ peers, source }),
      key: KEY,
      rng: keepOrder,
      ...options,
      clock,
    },
  });
  const emitted = recordEmitted<TrackerClientEmitted>(actor);
  actor.start();
  return {
    actor,
    clock,
    stats,
    found,
    emitted,
    state: () => actor.getSnapshot().value,
    of: (type) => emitted.filter((e) => e.type === type) as never,
  };
}

function done(h: Harness): boolean {
  return h.actor.getSnapshot().status === 'done';
}

/** A fake HTTP transport on the harness clock; start the client with the returned clock. */
function fake(answer: (base: string) => FakeAnswer | Promise<FakeAnswer>): { clock: SimulatedClock; transport: FakeTransport } {
  const clock = new SimulatedClock();
  return { clock, transport: new FakeTransport(() => clock.now(), (base) => answer(base)) };
}

async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  clock.increment(ms);
  await flush();
}

// -------------------------------------------------------------------------------------------------
// Real HTTP tracker on 127.0.0.1

test('HTTP: started, periodic, completed and stopped reach the tracker with the right fields', async () => {
  const peers = [
    { host: '10.0.0.1', port: 6881 },
    { host: '10.0.0.2', port: 51413 },
  ];
  const tracker = await startHttpTracker((_request, index) =>
    index === 0
      ? { interval: 1800, trackerId: Buffer.from('tid-1'), peers, complete: 2, incomplete: 5, warning: 'be nice' }
      : { interval: 1800, peers: [] },
  );
  const h = startClient({ tiers: [[tracker.url]], transport: createTrackerTransport() });
  try {
    await until(() => h.of('announce-ok').length === 1, { what: 'the started announce' });
    const [started] = tracker.requests;
    assert.ok(started);
    assert.equal(started.event, 'started');
    assert.deepEqual(started.infoHash, INFO_HASH);
    assert.deepEqual(started.peerId, PEER_ID);
    assert.equal(started.port, 6881);
    assert.equal(started.left, 1000);
    assert.equal(started.compact, true);
    assert.equal(started.numwant, 50);
    assert.equal(started.key?.toString(), 'deadbeef');
    assert.equal(started.trackerId, undefined);
    assert.deepEqual(h.found, [{ peers, source: tracker.url }]);
    assert.deepEqual(h.emitted, [
      { type: 'announce', url: tracker.url, event: 'started' },
      { type: 'announce-ok', url: tracker.url, event: 'started', peers: 2, interval: 1800, complete: 2, incomplete: 5 },
      { type: 'warning', url: tracker.url, message: 'be nice' },
    ]);
    assert.equal(h.state(), 'waiting');

    // Nothing before the interval; the regular announce (no event) right at it, echoing the tracker id.
    await advance(h.clock, 1_799_999);
    assert.equal(tracker.requests.length, 1);
    h.clock.increment(1);
    await until(() => h.of('announce-ok').length === 2, { what: 'the regular announce' });
    assert.equal(tracker.requests[1]?.event, undefined);
    assert.equal(tracker.requests[1]?.trackerId?.toString(), 'tid-1');

    // Completed: announced at once, and only once.
    h.stats.left = 0;
    h.stats.downloaded = 1000;
    h.actor.send({ type: 'COMPLETED' });
    await until(() => h.of('announce-ok').length === 3, { what: 'the completed announce' });
    assert.equal(tracker.requests[2]?.event, 'completed');
    assert.equal(tracker.requests[2]?.left, 0);
    assert.equal(tracker.requests[2]?.downloaded, 1000);
    assert.equal(tracker.requests[2]?.trackerId?.toString(), 'tid-1');
    h.actor.send({ type: 'COMPLETED' });
    await flush();
    assert.equal(tracker.requests.length, 3);

    h.actor.send({ type: 'STOP' });
    await until(() => done(h), { what: 'the actor to stop' });
    assert.equal(tracker.requests[3]?.event, 'stopped');
    assert.equal(tracker.requests[3]?.numwant, 0);
    assert.equal(tracker.requests.length, 4);
    assert.deepEqual(h.emitted.at(-1), {
      type: 'announce-ok',
      url: tracker.url,
      event: 'stopped',
      peers: 0,
      interval: 1800,
    });
  } finally {
    h.actor.stop();
    await tracker.close();
  }
});

test('HTTP: a failure reason fails that URL with its message, then the client backs off and retries', async () => {
  const tracker = await startHttpTracker((_request, index): HttpTrackerAnswer => (index === 0 ? { failure: 'unregistered torrent' } : {}));
  const h = startClient({ tiers: [[tracker.url]], transport: createTrackerTransport() });
  try {
    await until(() => h.of('announce-failed').length === 1, { what: 'the failure' });
    assert.deepEqual(h.of('announce-failed'), [
      { type: 'announce-failed', url: tracker.url, event: 'started', error: 'unregistered torrent' },
    ]);
    assert.equal(h.state(), 'backingOff');
    await advance(h.clock, 14_999);
    assert.equal(tracker.requests.length, 1);
    h.clock.increment(1);
    await until(() => h.of('announce-ok').length === 1, { what: 'the retry' });
    // The tracker never accepted the first one, so the retry is still `started`.
    assert.equal(tracker.requests[1]?.event, 'started');
  } finally {
    h.actor.stop();
    await tracker.close();
  }
});

test('HTTP: a URL that refuses connections fails over to the next, which moves to the front of its tier', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/announce`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const good = await startHttpTracker();
  const h = startClient({ tiers: [[refusedUrl, good.url]], transport: createTrackerTransport() });
  try {
    await until(() => h.of('announce-ok').length === 1, { what: 'the second URL to answer' });
    assert.deepEqual(
      h.emitted.map((e) => [e.type, e.url]),
      [
        ['announce', refusedUrl],
        ['announce-failed', refusedUrl],
        ['announce', good.url],
        ['announce-ok', good.url],
      ],
    );
    assert.equal(h.of('announce-failed')[0]?.error, `tracker ${refusedUrl}: connection refused`);
    assert.deepEqual(h.actor.getSnapshot().context.tiers, [[good.url, refusedUrl]]);

    // The next announce goes straight to the tracker that answered.
    h.clock.increment(1_800_000);
    await until(() => h.of('announce-ok').length === 2, { what: 'the regular announce' });
    assert.deepEqual(h.of('announce').map((e) => e.url), [refusedUrl, good.url, good.url]);
  } finally {
    h.actor.stop();
    await good.close();
  }
});

test('HTTP: an oversized reply and a silent tracker fail; the next tier answers', async () => {
  const big = await startHttpTracker(() => ({ raw: Buffer.alloc(3 * MIB, 0x61) }));
  const silent = await startHttpTracker(() => 'hang');
  const good = await startHttpTracker(() => ({ peers: [{ host: '192.0.2.7', port: 7000 }] }));
  const h = startClient({
    tiers: [[big.url], [silent.url], [good.url]],
    transport: createTrackerTransport(),
    timeouts: { httpMs: 300 },
  });
  try {
    await until(() => h.of('announce-ok').length === 1, { what: 'the third tier to answer' });
    const failures = h.of('announce-failed');
    assert.equal(failures.length, 2);
    assert.equal(failures[0]?.url, big.url);
    assert.match(failures[0]!.error, /larger than the 2097152-byte limit/);
    assert.equal(failures[1]?.url, silent.url);
    assert.equal(failures[1]?.error, `tracker ${silent.url}: timed out after 300 ms`);
    assert.deepEqual(h.found, [{ peers: [{ host: '192.0.2.7', port: 7000 }], source: good.url }]);
  } finally {
    h.actor.stop();
    await Promise.all([big.close(), silent.close(), good.close()]);
  }
});

// -------------------------------------------------------------------------------------------------
// Real UDP tracker on 127.0.0.1

test('UDP: lifecycle over BEP 15, reusing the connection id within 60 s and reconnecting after', async () => {
  const peers = [{ host: '10.0.0.3', port: 6000 }];
  const tracker = await startUdpTracker({ interval: 60, peers });
  const h = startClient({ tiers: [[tracker.url]], transport: createTrackerTransport() });
  const announces = () => tracker.log.filter((e): e is UdpAnnounceRequest => e.action === 'announce');
  try {
    await until(() => h.of('announce-ok').length === 1, { what: 'the started announce' });
    assert.deepEqual(tracker.log.map((e) => e.action), ['connect', 'announce']);
    const first = announces()[0]!;
    assert.equal(first.event, 'started');
    assert.deepEqual(first.infoHash, INFO_HASH);
    assert.deepEqual(first.peerId, PEER_ID);
    assert.equal(first.port, 6881);
    assert.equal(first.left, 1000);
    assert.equal(first.numWant, 50);
    assert.equal(first.key, KEY);
    assert.equal(first.connectionId, (tracker.log[0] as { connectionId: bigint }).connectionId);
    assert.deepEqual(h.found, [{ peers, source: tracker.url }]);
    assert.deepEqual(h.of('announce-ok')[0], {
      type: 'announce-ok',
      url: tracker.url,
      event: 'started',
      peers: 1,
      interval: 60,
      complete: 2,
      incomplete: 3,
    });

    // 30 s later: completed, on the same connection id.
    await advance(h.clock, 30_000);
    h.stats.left = 0;
    h.actor.send({ type: 'COMPLETED' });
    await until(() => h.of('announce-ok').length === 2, { what: 'the completed announce' });
    assert.deepEqual(tracker.log.map((e) => e.action), ['connect', 'announce', 'announce']);
    assert.equal(announces()[1]?.event, 'completed');
    assert.equal(announces()[1]?.connectionId, first.connectionId);

    // 90 s after the connect: the id is too old, so a new connect comes first.
    h.clock.increment(60_000);
    await until(() => h.of('announce-ok').length === 3, { what: 'the regular announce' });
    assert.deepEqual(tracker.log.map((e) => e.action), ['connect', 'announce', 'announce', 'connect', 'announce']);
    const second = tracker.log[3] as { connectionId: bigint };
    assert.notEqual(second.connectionId, first.connectionId);
    assert.equal(announces()[2]?.event, undefined);
    assert.equal(announces()[2]?.connectionId, second.connectionId);

    h.actor.send({ type: 'STOP' });
    await until(() => done(h), { what: 'the actor to stop' });
    assert.equal(announces()[3]?.event, 'stopped');
    assert.equal(announces()[3]?.numWant, 0);
    assert.equal(announces()[3]?.connectionId, second.connectionId);
  } finally {
    h.actor.stop();
    await tracker.close();
  }
});

test('UDP: a tracker on IPv6 answers in the 18-byte peer format', async (t) => {
  let tracker;
  const peers = [
    { host: '2001:db8::1', port: 7000 },
    { host: '::ffff:10.0.0.9', port: 7001 },
  ];
  try {
    tracker = await startUdpTracker({ ipv6: true, peers });
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  const h = startClient({ tiers: [[tracker.url]], transport: createTrackerTransport() });
  try {
    await until(() => h.of('announce-ok').length === 1, { what: 'the started announce' });
    assert.deepEqual(h.found, [{ peers, source: tracker.url }]);
  } finally {
    h.actor.stop();
    await tracker.close();
  }
});

test('UDP: replies for another transaction are ignored; if nothing else comes the announce times out', async () => {
  const noisy = await startUdpTracker({ strayFirst: true });
  const stray = await startUdpTracker({ strayOnly: true });
  const a = startClient({ tiers: [[noisy.url]], transport: createTrackerTransport() });
  const b = startClient({ tiers: [[stray.url]], transport: createTrackerTransport(), timeouts: { udpMs: 80, udpAttempts: 2 } });
  try {
    await until(() => a.of('announce-ok').length === 1, { what: 'the noisy tracker to be understood' });
    assert.equal(a.of('announce-failed').length, 0);

    await until(() => b.of('announce-failed').length === 1, { what: 'the stray-only tracker to time out' });
    assert.equal(b.of('announce-failed')[0]?.error, `tracker udp://127.0.0.1:${new URL(stray.url).port}: timed out after 160 ms`);
    // The connect was sent twice (80 ms, then a retransmission waiting 160 ms); no announce followed.
    assert.deepEqual(stray.log.map((e) => e.action), ['connect', 'connect']);
    assert.equal(b.state(), 'backingOff');
  } finally {
    a.actor.stop();
    b.actor.stop();
    await Promise.all([noisy.close(), stray.close()]);
  }
});

test('UDP: an error packet fails the URL with its message, and the next try connects afresh', async () => {
  // The second announce is refused, as by a tracker that restarted and forgot our connection id.
  const tracker = await startUdpTracker({ errorFor: (n) => (n === 1 ? 'unknown connection id' : undefined) });
  const h = startClient({ tiers: [[tracker.url]], transport: createTrackerTransport() });
  try {
    await until(() => h.of('announce-ok').length === 1, { what: 'the started announce' });
    await advance(h.clock, 10_000);
    h.actor.send({ type: 'COMPLETED' });
    await until(() => h.of('announce-failed').length === 1, { what: 'the error' });
    assert.deepEqual(h.of('announce-failed')[0], {
      type: 'announce-failed',
      url: tracker.url,
      event: 'completed',
      error: 'unknown connection id',
    });
    assert.equal(h.state(), 'backingOff');
    // 25 s after the first connect its id would still be young, but it is not trusted any more.
    h.clock.increment(backoffMs(1));
    await until(() => h.of('announce-ok').length === 2, { what: 'the retry' });
    assert.deepEqual(tracker.log.map((e) => e.action), ['connect', 'announce', 'announce', 'connect', 'announce']);
    assert.equal((tracker.log[4] as UdpAnnounceRequest).event, 'completed');
  } finally {
    h.actor.stop();
    await tracker.close();
  }
});

// -------------------------------------------------------------------------------------------------
// Timing, on the simulated clock with an in-memory transport

const A = 'http://a.example/announce';
const B = 'http://b.example/announce';
const C = 'http://c.example/announce';
const D = 'http://d.example/announce';

test('interval is clamped to [60 s, 1 h]', async () => {
  let interval = 10;
  const { clock, transport } = fake(() => ({ interval }));
  const h = startClient({ tiers: [[A]], transport, clock });
  await flush();
  assert.equal(transport.calls.length, 1);
  await advance(clock, 59_999);
  assert.equal(transport.calls.length, 1);
  await advance(clock, 1);
  assert.equal(transport.calls.length, 2);

  interval = 7200;
  await advance(clock, 60_000);
  assert.equal(transport.calls.length, 3);
  await advance(clock, 3_599_999);
  assert.equal(transport.calls.length, 3);
  await advance(clock, 1);
  assert.equal(transport.calls.length, 4);
  assert.deepEqual(h.of('announce-ok').map((e) => e.interval), [60, 60, 3600, 3600]);
  assert.deepEqual(transport.events(), ['started', 'none', 'none', 'none']);
  h.actor.stop();
});

test('min interval holds back regular announces and REANNOUNCE', async () => {
  let reply: FakeAnswer = { interval: 100, minInterval: 300 };
  const { clock, transport } = fake(() => reply);
  const h = startClient({ tiers: [[A]], transport, clock });
  await flush();
  // interval 100 s < min interval 300 s: the next announce waits for 300 s.
  await advance(clock, 299_999);
  assert.equal(transport.calls.length, 1);
  await advance(clock, 1);
  assert.equal(transport.calls.length, 2);

  // t = 300 s. REANNOUNCE 10 s later waits until min interval (120 s) since the last announce.
  reply = { interval: 1800, minInterval: 120 };
  await advance(clock, 60_000); // t = 360 s: the t = 300 s reply said 300 s → nothing yet
  assert.equal(transport.calls.length, 2);
  await advance(clock, 240_000); // t = 600 s: regular announce, now min interval 120 s
  assert.equal(transport.calls.length, 3);
  await advance(clock, 10_000);
  h.actor.send({ type: 'REANNOUNCE' });
  await flush();
  assert.equal(transport.calls.length, 3);
  await advance(clock, 109_999);
  assert.equal(transport.calls.length, 3);
  await advance(clock, 1);
  assert.equal(transport.calls.length, 4);
  assert.equal(transport.calls[3]?.at, 720_000);

  // Once min interval has passed, REANNOUNCE goes at once.
  await advance(clock, 200_000);
  h.actor.send({ type: 'REANNOUNCE' });
  await flush();
  assert.equal(transport.calls.length, 5);
  assert.equal(transport.calls[4]?.at, 920_000);
  h.actor.stop();
});

test('when every tracker fails, retries back off 15 s, 30 s, 60 s … up to 30 min, and reset on success', async () => {
  let fail = true;
  const { clock, transport } = fake(() => (fail ? new Error('tracker down') : { interval: 1800 }));
  const h = startClient({ tiers: [[A], [B]], transport, clock });
  await flush();
  assert.deepEqual(transport.calls.map((c) => c.url), [A, B]);
  const gaps = [15, 30, 60, 120, 240, 480, 960, 1800, 1800].map((s) => s * 1000);
  for (const gap of gaps) {
    const before = transport.calls.length;
    await advance(clock, gap - 1);
    assert.equal(transport.calls.length, before, `nothing before ${gap} ms`);
    assert.equal(h.state(), 'backingOff');
    await advance(clock, 1);
    assert.equal(transport.calls.length, before + 2, `both tiers tried again after ${gap} ms`);
  }
  assert.ok(transport.events().every((e) => e === 'started'), 'started until a tracker accepts it');

  fail = false;
  await advance(clock, 1_800_000);
  assert.equal(h.state(), 'waiting');
  fail = true;
  const before = transport.calls.length;
  await advance(clock, 1_800_000);
  assert.equal(transport.calls.length, before + 2);
  await advance(clock, 15_000);
  assert.equal(transport.calls.length, before + 4, 'back to a 15 s backoff after a success');
  assert.equal(transport.events().at(-1), 'none');
  h.actor.stop();
});

test('BEP 12: each tier is shuffled once; every announce walks the tiers from the top', async () => {
  const { clock, transport } = fake((base) => (base === D ? {} : new Error('no')));
  // rng 0 always swaps with index 0: [A, B, C] → [C, B, A] → [B, C, A].
  const h = startClient({ tiers: [[A, B, C], [D]], transport, clock, rng: () => 0 });
  await flush();
  assert.deepEqual(transport.calls.map((c) => c.url), [B, C, A, D]);
  await advance(clock, 1_800_000);
  assert.deepEqual(transport.calls.slice(4).map((c) => c.url), [B, C, A, D]);
  h.actor.stop();
});

test('completed is told once, never when complete at start, and right after a started in flight', async () => {
  // Complete at start: COMPLETED changes nothing.
  {
    const { clock, transport } = fake(() => ({}));
    const h = startClient({ tiers: [[A]], transport, clock, stats: () => ({ uploaded: 0, downloaded: 0, left: 0 }) });
    await flush();
    h.actor.send({ type: 'COMPLETED' });
    await flush();
    assert.deepEqual(transport.events(), ['started']);
    h.actor.stop();
  }
  // COMPLETED while `started` is in flight: `completed` follows as soon as it is answered.
  {
    let release!: (answer: FakeAnswer) => void;
    const first = new Promise<FakeAnswer>((resolve) => (release = resolve));
    const { clock, transport } = fake(() => (transport.calls.length === 1 ? first : {}));
    const h = startClient({ tiers: [[A]], transport, clock });
    await flush();
    h.actor.send({ type: 'COMPLETED' });
    await flush();
    assert.deepEqual(transport.events(), ['started']);
    release({});
    await flush();
    assert.deepEqual(transport.events(), ['started', 'completed']);
    assert.equal(transport.calls[1]?.at, 0);
    h.actor.send({ type: 'COMPLETED' });
    await advance(clock, 1_800_000);
    assert.deepEqual(transport.events(), ['started', 'completed', 'none']);
    h.actor.stop();
  }
});

test('STOP aborts an announce in flight and gives the stopped announce at most 5 s', async () => {
  const { clock, transport } = fake(() => 'hang');
  const h = startClient({ tiers: [[A]], transport, clock });
  await flush();
  h.actor.send({ type: 'STOP' });
  await flush();
  assert.equal(transport.calls[0]?.signal?.aborted, true, 'the started announce was aborted');
  assert.deepEqual(transport.events(), ['started', 'stopped']);
  assert.equal(h.state(), 'stopping');
  await advance(clock, 4_999);
  assert.equal(h.state(), 'stopping');
  await advance(clock, 1);
  assert.ok(done(h));
  assert.equal(transport.calls[1]?.signal?.aborted, true, 'the stopped announce was aborted too');
  assert.deepEqual(h.emitted.at(-1), { type: 'announce-failed', url: A, event: 'stopped', error: 'no reply within 5000 ms' });
});

test('STOP tells only the tracker that last answered, and nobody if none ever did', async () => {
  {
    const { clock, transport } = fake(() => new Error('down'));
    const h = startClient({ tiers: [[A]], transport, clock });
    await flush();
    assert.equal(h.state(), 'backingOff');
    h.actor.send({ type: 'STOP' });
    assert.ok(done(h));
    assert.deepEqual(transport.events(), ['started']);
  }
  {
    const { clock, transport } = fake((base) => (base === B ? {} : new Error('down')));
    const h = startClient({ tiers: [[A], [B], [C]], transport, clock });
    await flush();
    h.actor.send({ type: 'STOP' });
    await flush();
    assert.ok(done(h));
    assert.deepEqual(transport.calls.map((c) => `${c.url} ${c.request.event}`), [`${A} started`, `${B} started`, `${B} stopped`]);
  }
});

test('unsupported schemes are skipped with a warning; with no usable tracker the client idles until STOP', async () => {
  {
    const { clock, transport } = fake(() => ({}));
    const h = startClient({ tiers: [['wss://tracker.example/announce', A], ['ftp://x.example/']], transport, clock });
    await flush();
    assert.deepEqual(h.of('warning'), [
      { type: 'warning', url: 'wss://tracker.example/announce', message: 'unsupported tracker URL scheme; skipped' },
      { type: 'warning', url: 'ftp://x.example/', message: 'unsupported tracker URL scheme; skipped' },
    ]);
    assert.deepEqual(transport.calls.map((c) => c.url), [A]);
    h.actor.stop();
  }
  {
    const { clock, transport } = fake(() => ({}));
    const h = startClient({ tiers: [['wss://only.example/announce']], transport, clock });
    assert.equal(h.state(), 'idle');
    h.actor.send({ type: 'REANNOUNCE' });
    h.actor.send({ type: 'STOP' });
    assert.ok(done(h));
    assert.equal(transport.calls.length, 0);
  }
});
