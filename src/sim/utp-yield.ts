import { seededRng } from '../env/rng.js';
import { BulkFlow } from './bulk-flow.js';
import { SimClock } from './sim-clock.js';
import { SimNetwork } from './sim-network.js';
import { SimUdp } from './sim-udp.js';
import { simUtpTransport } from './sim-utp.js';

export interface YieldScenarioOptions {
  seed?: number;
  /** Bottleneck, bytes/s (default 1 MB/s, an 8 Mbit/s uplink). */
  bandwidth?: number;
  /** One-way latency, ms (default 25: a 50 ms round trip). */
  latencyMs?: number;
  /** Bottleneck buffer, bytes (default 250 ms of it: deeper than LEDBAT's target, as home routers are). */
  queueBytes?: number;
  /** uTP alone, then uTP and the TCP-like flow together (simulated ms). */
  aloneMs?: number;
  sharedMs?: number;
}

export interface YieldScenarioResult {
  /** uTP alone, last half of the phase: goodput (bytes/s) and the queuing delay its data packets met (ms). */
  alone: { utpRate: number; meanQueueMs: number; maxQueueMs: number };
  /** Both flows, last half of the phase: each one's goodput (bytes/s). */
  shared: { utpRate: number; bulkRate: number; meanQueueMs: number };
  bandwidth: number;
}

/**
 * LEDBAT's whole point, measured: a uTP bulk transfer over a bottleneck, first alone (it should
 * fill the link while holding the queue near the 100 ms target), then beside a TCP-like flow on
 * the same link (which fills the queue past the target: uTP should back off and leave it most of
 * the link). Everything runs on one SimClock with seeded randomness: same seed, same numbers.
 */
export async function runYieldScenario(options: YieldScenarioOptions = {}): Promise<YieldScenarioResult> {
  const seed = options.seed ?? 1;
  const bandwidth = options.bandwidth ?? 1_000_000;
  const latencyMs = options.latencyMs ?? 25;
  const aloneMs = options.aloneMs ?? 10_000;
  const sharedMs = options.sharedMs ?? 20_000;
  const clock = new SimClock();
  const network = new SimNetwork({ clock, rng: seededRng(seed), defaultLink: { latencyMs, bandwidth, queueBytes: options.queueBytes ?? bandwidth / 4 } });
  network.host('10.0.0.1');
  network.host('10.0.0.2');
  const udp = new SimUdp(network, seededRng(seed + 1));
  const sender = simUtpTransport(udp, '10.0.0.1', clock, { rng: seededRng(seed + 2) });
  const receiver = simUtpTransport(udp, '10.0.0.2', clock, { rng: seededRng(seed + 3) });

  let utpBytes = 0;
  let bulkBytesAtMark = 0;
  let utpBytesAtMark = 0;
  let queue = { sum: 0, count: 0, max: 0, measuring: false };
  udp.onQueued = (from, _to, data, queuedMs) => {
    if (!queue.measuring || from !== '10.0.0.1' || data[0] !== 0x01) return;
    queue.sum += queuedMs;
    queue.count++;
    queue.max = Math.max(queue.max, queuedMs);
  };
  const listener = await receiver.listen({ host: '10.0.0.2', port: 6881 }, (socket) => {
    socket.on('data', (chunk: Buffer) => (utpBytes += chunk.length));
    socket.on('error', () => undefined);
  });
  const socket = await (async () => {
    const dial = sender.connect({ host: '10.0.0.2', port: listener.port, timeoutMs: 5000 });
    while (true) {
      const settled = await Promise.race([dial.then(() => true), clock.advance(5, 1).then(() => false)]);
      if (settled) return dial;
    }
  })();
  socket.on('error', () => undefined);
  const block = Buffer.alloc(16 * 1024, 0x5a);
  let running = true;
  const pump = () => {
    while (running && socket.write(block)) {
      /* keep the send buffer full */
    }
    if (running) socket.once('drain', pump);
  };
  pump();

  const run = async (ms: number) => {
    const until = clock.now() + ms;
    while (clock.now() < until) await clock.advance(Math.min(10, until - clock.now()), 1);
  };
  const mark = () => {
    utpBytesAtMark = utpBytes;
    queue = { sum: 0, count: 0, max: 0, measuring: true };
  };

  await run(aloneMs / 2);
  mark();
  await run(aloneMs / 2);
  const alone = { utpRate: ((utpBytes - utpBytesAtMark) * 1000) / (aloneMs / 2), meanQueueMs: queue.sum / Math.max(1, queue.count), maxQueueMs: queue.max };

  const a = await udp.open('10.0.0.1', 7000);
  const b = await udp.open('10.0.0.2', 7000);
  const bulk = new BulkFlow(a, b, clock);
  bulk.start();
  await run(sharedMs / 2);
  mark();
  bulkBytesAtMark = bulk.deliveredBytes;
  await run(sharedMs / 2);
  const shared = {
    utpRate: ((utpBytes - utpBytesAtMark) * 1000) / (sharedMs / 2),
    bulkRate: ((bulk.deliveredBytes - bulkBytesAtMark) * 1000) / (sharedMs / 2),
    meanQueueMs: queue.sum / Math.max(1, queue.count),
  };
  running = false;
  bulk.stop();
  socket.destroy();
  await listener.close();
  await clock.advance(200, 1);
  return { alone, shared, bandwidth };
}
