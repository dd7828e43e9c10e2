// 1 seeder → 1 leecher of the same client, separate processes, loopback: wall time from starting
// the leecher process to its report that every piece is verified (so its start-up counts), and the
// leecher's peak RSS. The seeder is started and has checked its data before the clock starts.
// The large-payload case repeats it at 4 GiB for the RSS: it must stay flat as the payload grows.
import { rmSync } from 'node:fs';
import { type BenchCase, notInstalled, say } from './context.js';
import { type Payload, dropPayload, forgetResume, payload, tempDir } from './payload.js';
import { type PeerClient, actorrentPeer, libtorrentPeer, webtorrentPeer } from './peers.js';
import { type Measure, makeCase, measure, repeat } from './results.js';

const RSS_BOUND_MIB = 100;
/** "Flat from 512 MiB to 4 GiB": the large transfer's RSS within this factor of the small one's. */
const FLAT = 1.1;

/** A leecher slower than this many MB/s is stopped: 30 s of start-up and 16 MiB/s. */
const budgetSeconds = (mib: number) => 30 + mib / 16;

async function transferOnce(client: PeerClient, p: Payload, run: number): Promise<Record<string, number>> {
  forgetResume(p);
  const seconds = budgetSeconds(p.mib);
  const dir = tempDir('leech');
  const seeder = client.seeder(p, { label: `${client.name} seeder`, seconds: seconds + 120 });
  try {
    const port = await client.seederReady(seeder, 120_000);
    const started = performance.now();
    const leecher = client.leecher(p, dir, { label: `${client.name} leecher`, seconds, peer: `127.0.0.1:${port}`, stay: false });
    try {
      const complete = await leecher.waitFor('complete', seconds * 1000);
      const wall = (complete.receivedAt - started) / 1000;
      const rss = leecher.peakRssMiB();
      say(`    ${client.name} run ${run + 1}: ${wall.toFixed(2)} s (${((p.mib * 2 ** 20) / wall / 1e6).toFixed(0)} MB/s), leecher peak RSS ${rss.toFixed(0)} MiB`);
      return { seconds: wall, rss };
    } finally {
      await leecher.stop();
    }
  } finally {
    await seeder.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureClient(client: PeerClient, p: Payload, runs: number): Promise<{ time: Measure; rss: Measure }> {
  const { values, error } = await repeat(runs, (run) => transferOnce(client, p, run));
  return { time: measure(client.name, values.seconds ?? [], error), rss: measure(client.name, values.rss ?? [], error) };
}

export const transferCase: BenchCase = {
  id: 'transfer',
  async run(ctx) {
    const { transferMiB: mib, runs } = ctx.config;
    const p = await payload(mib, ctx.config.pieceLength);
    say(`  transfer ${mib} MiB, 1 seeder → 1 leecher, ${runs} run(s) each`);
    // Plaintext (`--encryption disable`), then MSE with RC4 both ways (`require`), one after the other
    // in the same run: the ratio of the two is what the encrypted case judges.
    const ours = await measureClient(actorrentPeer(ctx, 'disable'), p, runs);
    const encrypted = await measureClient(actorrentPeer(ctx, 'require'), p, runs);
    const lt = ctx.clients.libtorrent ? await measureClient(libtorrentPeer(ctx), p, runs) : undefined;
    const wt = ctx.clients.webtorrent ? await measureClient(webtorrentPeer(ctx), p, runs) : undefined;
    const ltMissing = notInstalled(ctx, 'libtorrent', 'libtorrent');
    const wtMissing = notInstalled(ctx, 'WebTorrent 1.9', 'WebTorrent');
    return [
      makeCase({
        id: 'transfer',
        title: `${mib} MiB, 1 seeder → 1 leecher, wall time to verified data`,
        unit: 's',
        actorrent: ours.time,
        anchor: lt?.time ?? ltMissing,
        others: [wt?.time ?? wtMissing],
        target: { text: '≤ 0.8× libtorrent', on: 'ratio', op: '<=', bound: 0.8 },
        notes: ['actorrent with --encryption disable (plaintext); libtorrent and WebTorrent with their defaults'],
      }),
      makeCase({
        id: 'transfer-encrypted',
        title: `${mib} MiB encrypted (MSE, RC4 both ways), wall time to verified data`,
        unit: 's',
        actorrent: encrypted.time,
        anchor: { ...ours.time, name: `${ours.time.name}, plaintext` },
        // ≥ 0.6× the plaintext throughput is ≤ 1/0.6 of its time.
        target: { text: '≥ 0.6× plaintext throughput (time ≤ 1.67×)', on: 'ratio', op: '<=', bound: 1 / 0.6 },
        notes: ['both actorrent peers with --encryption require; the anchor is the plaintext run above'],
      }),
      makeCase({
        id: 'transfer-rss',
        title: `leecher peak RSS, ${mib} MiB transfer`,
        unit: 'MiB',
        actorrent: ours.rss,
        anchor: lt?.rss ?? ltMissing,
        others: [wt?.rss ?? wtMissing],
        target: { text: `≤ ${RSS_BOUND_MIB} MiB`, on: 'value', op: '<=', bound: RSS_BOUND_MIB },
        notes: ['VmHWM of the leecher process; libtorrent 2 maps the files (mmap), so its RSS counts mapped pages of the payload'],
      }),
    ];
  },
};

export const largeCase: BenchCase = {
  id: 'large',
  async run(ctx) {
    const { largeMiB: mib, largeRuns: runs } = ctx.config;
    say(`  transfer ${mib} MiB for the leecher's RSS, ${runs} run(s) each`);
    const p = await payload(mib, ctx.config.pieceLength);
    try {
      // Plaintext, as the transfer case it is compared with (it ran in the default `prefer`, RC4, before).
      const ours = await measureClient(actorrentPeer(ctx, 'disable'), p, runs);
      const lt = ctx.clients.libtorrent ? await measureClient(libtorrentPeer(ctx), p, runs) : undefined;
      // Flat: no more than 10 % above the leecher's RSS for the smaller transfer, when that ran.
      const small = ctx.previous.find((c) => c.id === 'transfer-rss')?.actorrent.value ?? null;
      const big = ours.rss.value;
      const met = big === null ? null : big <= RSS_BOUND_MIB && (small === null || big <= small * FLAT);
      const flatness = small === null ? 'flatness not judged: the transfer case did not run' : `${ctx.config.transferMiB} MiB transfer: ${small.toFixed(0)} MiB`;
      return [
        makeCase({
          id: 'large-rss',
          title: `leecher peak RSS, ${mib} MiB transfer (flat?)`,
          unit: 'MiB',
          actorrent: ours.rss,
          anchor: lt?.rss ?? notInstalled(ctx, 'libtorrent', 'libtorrent'),
          target: { text: `≤ ${RSS_BOUND_MIB} MiB, ≤ ${FLAT}× the transfer case`, on: 'value', op: '<=', bound: RSS_BOUND_MIB },
          met,
          notes: [flatness, `wall time ${ours.time.value?.toFixed(2) ?? '-'} s (libtorrent ${lt?.time.value?.toFixed(2) ?? '-'} s)`],
        }),
      ];
    } finally {
      dropPayload(p); // gigabytes: not kept for later cases
    }
  },
};

/** uTP: actorrent → actorrent and libtorrent → libtorrent, both over loopback uTP only, 256 MiB. */
export const utpCase: BenchCase = {
  id: 'utp',
  async run(ctx) {
    const { utpMiB: mib, runs } = ctx.config;
    const p = await payload(mib, ctx.config.pieceLength);
    say(`  transfer ${mib} MiB over uTP, 1 seeder → 1 leecher, ${runs} run(s) each`);
    const ours = await measureClient(actorrentPeer(ctx, 'disable', 'utp'), p, runs);
    const lt = ctx.clients.libtorrent ? await measureClient(libtorrentPeer(ctx, 'utp'), p, runs) : undefined;
    return [
      makeCase({
        id: 'transfer-utp',
        title: `${mib} MiB over loopback uTP, 1 seeder → 1 leecher, wall time to verified data`,
        unit: 's',
        actorrent: { ...ours.time, name: `${ours.time.name}, uTP` },
        anchor: lt?.time ?? notInstalled(ctx, 'libtorrent', 'libtorrent'),
        target: { text: '≤ 0.5× libtorrent over uTP', on: 'ratio', op: '<=', bound: 0.5 },
        notes: ['actorrent with --transport utp --encryption disable; libtorrent with TCP off both ways'],
      }),
    ];
  },
};
