/**
 * uTP in the simulator: the real UtpSockets over SimUdp datagrams on one SimClock, across a
 * bottleneck of 1 MB/s (an 8 Mbit/s uplink) with a 50 ms round trip and a drop-tail queue.
 * Transfers must arrive byte-exact through loss, reordering and the 16-bit sequence wrap; loss
 * must not halve the goodput at 1 %; and LEDBAT must hold the queue near its 100 ms target when
 * alone and leave most of the link to a TCP-like flow when sharing it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runYieldScenario } from '../../src/sim/utp-yield.js';
import { simTransfer, utpPair } from './utp-helpers.js';

const LINK = { latencyMs: 25, bandwidth: 1_000_000, queueBytes: 200_000 };
const SIZE = 3_000_000;

test('1 % loss keeps more than half the loss-free goodput; both byte-exact', async (t) => {
  const clean = utpPair(LINK);
  const base = await simTransfer(clean.clock, clean.a, clean.b, SIZE, { limitMs: 60_000 });
  assert.ok(base.ok, 'loss-free transfer byte-exact');
  const lossy = utpPair({ ...LINK, loss: 0.01 });
  const r = await simTransfer(lossy.clock, lossy.a, lossy.b, SIZE, { limitMs: 60_000 });
  assert.ok(r.ok, '1 % loss: byte-exact');
  assert.ok(lossy.udp.lost > 0, 'packets were lost');
  const ratio = base.ms / r.ms;
  t.diagnostic(`goodput loss-free ${((SIZE / base.ms) * 1000 / 1e3).toFixed(0)} kB/s, 1 % loss ${((SIZE / r.ms) * 1000 / 1e3).toFixed(0)} kB/s (${(ratio * 100).toFixed(0)} %)`);
  assert.ok(ratio > 0.5, `1 % loss goodput is ${(ratio * 100).toFixed(0)} % of loss-free`);
  assert.ok(base.ms < (SIZE / LINK.bandwidth) * 1000 * 1.3, 'loss-free fills the link (slow start included)');
});

test('5 % loss: the transfer completes byte-exact', async () => {
  const { clock, a, b, udp } = utpPair({ ...LINK, loss: 0.05 }, 2);
  const r = await simTransfer(clock, a, b, 1_000_000, { limitMs: 120_000 });
  assert.ok(r.ok, `byte-exact (received ${r.received})`);
  assert.ok(udp.lost > 30);
});

test('reordering (up to 8 ms of jitter, many packets overtaken): byte-exact', async () => {
  const { clock, a, b } = utpPair({ ...LINK, jitterMs: 8 }, 3);
  const r = await simTransfer(clock, a, b, 1_000_000, { limitMs: 60_000 });
  assert.ok(r.ok, `byte-exact (received ${r.received})`);
});

test('sequence numbers wrap: a connection starting at 65 532 moves 1 MB (700 packets) byte-exact', async () => {
  // The dialler's rng sets its connection id and first sequence number near the top of 16 bits.
  const { clock, a, b } = utpPair({ ...LINK, loss: 0.01 }, 4, () => 65_532 / 65_536);
  const r = await simTransfer(clock, a, b, 1_000_000, { limitMs: 60_000 });
  assert.ok(r.ok, `byte-exact across the wrap (received ${r.received})`);
});

test('LEDBAT: alone it fills the link near the 100 ms target; beside a TCP-like flow it yields most of the link', async (t) => {
  const r = await runYieldScenario({ seed: 7 });
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.alone.utpRate > 0.85 * r.bandwidth, `alone: ${r.alone.utpRate} B/s`);
  assert.ok(r.alone.meanQueueMs > 50 && r.alone.meanQueueMs < 125, `alone: queuing delay ${r.alone.meanQueueMs.toFixed(0)} ms (target 100)`);
  assert.ok(r.alone.maxQueueMs < 150, `alone: at most ${r.alone.maxQueueMs.toFixed(0)} ms of queue`);
  assert.ok(r.shared.bulkRate > 0.7 * r.bandwidth, `shared: the TCP-like flow gets ${r.shared.bulkRate} B/s`);
  assert.ok(r.shared.utpRate < 0.25 * r.bandwidth, `shared: uTP keeps ${r.shared.utpRate} B/s`);
});

test('same seed, same run: the simulation is deterministic', async () => {
  const one = await runYieldScenario({ seed: 3, aloneMs: 2000, sharedMs: 2000 });
  const two = await runYieldScenario({ seed: 3, aloneMs: 2000, sharedMs: 2000 });
  assert.deepEqual(one, two);
});
