import type { Listener, PeerSocket, Transport } from '../../src/env/transport.js';
import { seededRng } from '../../src/env/rng.js';
import { Session } from '../../src/session.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { memorySocketPair } from '../../src/env/memory-socket.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';
import { memoryTorrent } from '../support/memory-torrent.js';

/**
 * Tiny swarms run in-process and recorded: one SimClock for everything, in-memory sockets with a
 * fixed latency, memory storage, seeded rngs and fixed peer ids and addresses. Nothing depends on
 * real time, so the trace is the same byte for byte on every run (the golden files hold it).
 */

export interface GoldenScenario {
  name: string;
  leechers: number;
  length: number;
  pieceLength: number;
  latencyMs: number;
}

export const GOLDEN_SCENARIOS: GoldenScenario[] = [
  { name: 'one-seeder-one-leecher', leechers: 1, length: 3 * 32768 + 1000, pieceLength: 32768, latencyMs: 5 },
  { name: 'one-seeder-two-leechers', leechers: 2, length: 6 * 16384 + 77, pieceLength: 16384, latencyMs: 20 },
];

/** Hosts that dial each other by address over in-memory links with a latency on the simulated clock. */
function memoryNetwork(clock: SimClock, latencyMs: number) {
  const listeners = new Map<string, (socket: PeerSocket) => void>();
  let nextPort = 50_000;
  return (host: string): Transport => ({
    async listen({ port }, onConnection) {
      listeners.set(`${host}:${port}`, onConnection);
      const listener: Listener = { address: host, port, close: async () => void listeners.delete(`${host}:${port}`) };
      return listener;
    },
    connect(options) {
      const accept = listeners.get(`${options.host}:${options.port}`);
      if (!accept) return Promise.reject(new Error(`connect ECONNREFUSED ${options.host}:${options.port}`));
      const { near, far } = memorySocketPair({ host: options.host, port: options.port }, { host, port: nextPort++ }, { clock, latencyMs });
      // The listener hears of it one latency later, as a SYN would arrive.
      clock.setTimeout(() => accept(far), latencyMs);
      return Promise.resolve(near);
    },
  });
}

/** Runs the scenario to completion (all leechers verified everything) and returns the trace text. */
export async function runGoldenScenario(scenario: GoldenScenario): Promise<string> {
  const clock = new SimClock(0);
  const network = memoryNetwork(clock, scenario.latencyMs);
  const torrent = memoryTorrent({ length: scenario.length, pieceLength: scenario.pieceLength, seed: 5 });
  const lines: string[] = [];
  const recorder = createTraceRecorder({ clock, write: (line) => lines.push(line), meta: { command: 'golden', argv: [scenario.name] } });
  const sessions: Session[] = [];
  const start = async (label: string, n: number, storage: MemoryStorage) => {
    const host = `10.0.0.${n + 1}`;
    const session = new Session({
      clock,
      transport: network(host),
      host,
      port: 6881,
      rng: seededRng(100 + n),
      storage: { open: () => storage },
      peerId: Buffer.from(`-AC0001-golden${String(n).padStart(6, '0')}`),
      ...recorder.forSession(label),
    });
    sessions.push(session);
    await session.listen();
    return session;
  };

  const seeder = await start('seeder', 0, await torrent.storageWith());
  const all = new Uint8Array(Math.ceil(torrent.meta.pieceCount / 8)).fill(0xff);
  recorder.attach('seeder', seeder.add(torrent.meta, { downloadDir: 'seed', seed: true, noTrackers: true, trustedHave: all }));

  const done: Promise<void>[] = [];
  for (let i = 1; i <= scenario.leechers; i++) {
    const leecher = await start(`leecher-${i}`, i, torrent.emptyStorage());
    const peers = Array.from({ length: i }, (_, n) => ({ host: `10.0.0.${n + 1}`, port: 6881 }));
    const handle = leecher.add(torrent.meta, { downloadDir: `leech-${i}`, noTrackers: true, seed: true, peers });
    recorder.attach(`leecher-${i}`, handle);
    done.push(handle.whenComplete());
  }
  let complete = false;
  void Promise.all(done).then(() => (complete = true));
  for (let step = 0; step < 2000 && !complete; step++) await clock.advance(50);
  if (!complete) throw new Error(`${scenario.name} did not complete within ${clock.now()} simulated ms`);
  let closed = false;
  const closing = Promise.all(sessions.map((s) => s.close())).finally(() => (closed = true));
  for (let step = 0; step < 600 && !closed; step++) await clock.advance(100);
  await closing;
  await recorder.close();
  return `${lines.join('\n')}\n`;
}
