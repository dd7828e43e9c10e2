// 1 seeder → N leechers of the same client, N + 1 processes started together, until every
// leecher has verified every piece. They find each other through a tracker (actorrent's, over
// HTTP, fresh for each run so no peer of an earlier run is handed out), and leechers keep serving
// after they complete, as libtorrent's do. The seeder's check of its data is inside the time for
// both clients (no resume data). RSS: the sum of each process's peak (VmHWM) at the end, an upper
// bound on the swarm's simultaneous peak.
import { rmSync } from 'node:fs';
import { actorrentCommand } from './actorrent.js';
import { type BenchCase, type Ctx, notInstalled, say } from './context.js';
import { type Payload, forgetResume, payload, tempDir } from './payload.js';
import { type PeerClient, actorrentPeer, libtorrentPeer } from './peers.js';
import { type Proc, start } from './procs.js';
import { type Measure, makeCase, measure, repeat } from './results.js';

/** Every leecher must be done by then: 60 s of start-up, then 4 MiB/s per leecher. */
const budgetSeconds = (mib: number, leechers: number) => 60 + (mib * leechers) / 4;

/** actorrent's tracker in its own process; resolves with it and its HTTP announce URL. */
async function startTracker(seconds: number): Promise<{ proc: Proc; url: string }> {
  const proc = start(actorrentCommand(['tracker', '--host', '127.0.0.1', '--port', '0', '--json']), { label: 'actorrent tracker', seconds });
  const listening = await proc.waitFor('listening', 30_000);
  return { proc, url: String(listening.http) };
}

async function swarmOnce(client: PeerClient, p: Payload, leechers: number, run: number): Promise<Record<string, number>> {
  forgetResume(p);
  const seconds = budgetSeconds(p.mib, leechers);
  const tracker = await startTracker(seconds + 60);
  const dirs = Array.from({ length: leechers }, () => tempDir('swarm'));
  const procs: Proc[] = [];
  try {
    const started = performance.now();
    procs.push(client.seeder(p, { label: `${client.name} seeder`, seconds, tracker: tracker.url }));
    for (const [i, dir] of dirs.entries()) {
      procs.push(client.leecher(p, dir, { label: `${client.name} leecher ${i + 1}`, seconds, tracker: tracker.url, stay: true }));
    }
    const done = await Promise.all(procs.slice(1).map((l) => l.waitFor('complete', seconds * 1000)));
    const wall = (Math.max(...done.map((e) => e.receivedAt)) - started) / 1000;
    const rss = procs.reduce((sum, proc) => sum + proc.peakRssMiB(), 0);
    say(`    ${client.name} run ${run + 1}: all ${leechers} leechers verified in ${wall.toFixed(2)} s; sum of peak RSS ${rss.toFixed(0)} MiB`);
    return { seconds: wall, rss };
  } finally {
    await Promise.all(procs.map((proc) => proc.stop()));
    await tracker.proc.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function measureClient(client: PeerClient, p: Payload, leechers: number, runs: number): Promise<{ time: Measure; rss: Measure }> {
  const { values, error } = await repeat(runs, (run) => swarmOnce(client, p, leechers, run));
  return { time: measure(client.name, values.seconds ?? [], error), rss: measure(client.name, values.rss ?? [], error) };
}

export const swarmCase: BenchCase = {
  id: 'swarm',
  async run(ctx: Ctx) {
    const { swarmMiB: mib, swarmLeechers: leechers, runs } = ctx.config;
    say(`  swarm: 1 seeder → ${leechers} leechers, ${mib} MiB, ${leechers + 1} processes, ${runs} run(s) each`);
    const p = await payload(mib, ctx.config.pieceLength);
    // Plaintext, as in the transfer case: libtorrent's default dials MSE but then selects plaintext
    // (prefer_rc4 off), while actorrent's `prefer` selects RC4 when offered, as Transmission does.
    const ours = await measureClient(actorrentPeer(ctx, 'disable'), p, leechers, runs);
    const lt = ctx.clients.libtorrent ? await measureClient(libtorrentPeer(ctx), p, leechers, runs) : undefined;
    const ltMissing = notInstalled(ctx, 'libtorrent', 'libtorrent');
    const how = 'peers found through actorrent\'s tracker (HTTP); leechers keep serving after they complete; actorrent with --encryption disable (libtorrent\'s default selects plaintext after its MSE handshake)';
    return [
      makeCase({
        id: 'swarm',
        title: `swarm: 1 seeder → ${leechers} leechers, ${mib} MiB, until all verified`,
        unit: 's',
        actorrent: ours.time,
        anchor: lt?.time ?? ltMissing,
        target: { text: '≤ 1.0× libtorrent', on: 'ratio', op: '<=', bound: 1 },
        notes: [how],
      }),
      makeCase({
        id: 'swarm-rss',
        title: `swarm peak RSS, sum of ${leechers + 1} processes`,
        unit: 'MiB',
        actorrent: ours.rss,
        anchor: lt?.rss ?? ltMissing,
        target: { text: '≤ 1024 MiB', on: 'value', op: '<=', bound: 1024 },
        notes: ['sum of each process\'s VmHWM: an upper bound on the swarm\'s simultaneous peak'],
      }),
    ];
  },
};
