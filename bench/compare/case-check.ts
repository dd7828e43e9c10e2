// Checking existing data with no resume data, page cache warm (the file is read once first and
// nothing is dropped). What is timed:
// - actorrent: `actorrent seed --json` of the complete data, from its `checking` line to its
//   `checked` line: the CLI's real check (checkExisting over FsStorage), without process start-up;
// - openssl: `openssl sha1 FILE`, the whole process: one SHA-1 stream on one core, the floor for
//   a single-threaded check (it does no per-piece work);
// - libtorrent and WebTorrent: from adding the torrent to the end of their check, measured inside
//   their process.
import { createReadStream } from 'node:fs';
import { PEER_FLAGS, actorrentCommand } from './actorrent.js';
import { type BenchCase, type Ctx, actorrentName, libtorrentName, notInstalled, say, webtorrentName } from './context.js';
import { startLibtorrent } from './libtorrent.js';
import { type Payload, forgetResume, payload } from './payload.js';
import { type Proc, run, start } from './procs.js';
import { type Measure, makeCase, measure, repeat } from './results.js';
import { startWebTorrent } from './webtorrent.js';

/** 20 s, then 10 MiB/s at the least. */
const budgetSeconds = (mib: number) => 20 + mib / 10;

async function readOnce(file: string): Promise<void> {
  for await (const _ of createReadStream(file, { highWaterMark: 4 * 2 ** 20 })) {
    // Only to bring the file into the page cache.
  }
}

async function timed(label: string, runs: number, once: () => Promise<number>): Promise<Measure> {
  const { values, error } = await repeat(runs, async (i) => {
    const seconds = await once();
    say(`    ${label} run ${i + 1}: ${seconds.toFixed(3)} s`);
    return { seconds };
  });
  return measure(label, values.seconds ?? [], error);
}

async function withProc<T>(proc: Proc, body: (proc: Proc) => Promise<T>): Promise<T> {
  try {
    return await body(proc);
  } finally {
    await proc.stop();
  }
}

async function actorrentCheck(p: Payload): Promise<number> {
  forgetResume(p); // else the second run would trust the first one's resume data
  const seed = start(actorrentCommand(['seed', p.torrent, '-o', p.dataDir, ...PEER_FLAGS]), { label: 'actorrent seed', seconds: budgetSeconds(p.mib) + 30 });
  return withProc(seed, async () => {
    const checking = await seed.waitFor('checking', 30_000);
    const checked = await seed.waitFor('checked', budgetSeconds(p.mib) * 1000);
    if (checked.have !== checked.total) throw new Error(`actorrent found ${String(checked.have)} of ${String(checked.total)} pieces`);
    return (checked.receivedAt - checking.receivedAt) / 1000;
  });
}

async function opensslCheck(p: Payload): Promise<number> {
  const started = performance.now();
  const result = await run(['openssl', 'sha1', p.file], { label: 'openssl sha1', seconds: budgetSeconds(p.mib) });
  if (result.code !== 0) throw new Error(`openssl sha1 exited ${result.code}: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

async function clientCheck(proc: Proc, mib: number): Promise<number> {
  return withProc(proc, async () => Number((await proc.waitFor('checked', budgetSeconds(mib) * 1000)).seconds));
}

export const checkCase: BenchCase = {
  id: 'check',
  async run(ctx: Ctx) {
    const { checkMiB: mib, runs } = ctx.config;
    say(`  check ${mib} MiB of existing data, page cache warm, ${runs} run(s) each`);
    const p = await payload(mib, ctx.config.pieceLength);
    await readOnce(p.file);
    const seconds = budgetSeconds(mib);
    const ours = await timed(actorrentName(ctx), runs, () => actorrentCheck(p));
    const openssl = ctx.clients.openssl ? await timed(`openssl ${ctx.clients.openssl} sha1`, runs, () => opensslCheck(p)) : notInstalled(ctx, 'openssl', 'openssl sha1');
    const lt = ctx.clients.libtorrent
      ? await timed(libtorrentName(ctx), runs, () => clientCheck(startLibtorrent({ mode: 'check', torrent: p.torrent, dir: p.dataDir, seconds, label: 'libtorrent check' }), mib))
      : notInstalled(ctx, 'libtorrent', 'libtorrent');
    const wt = ctx.clients.webtorrent
      ? await timed(webtorrentName(ctx), runs, () => clientCheck(startWebTorrent({ mode: 'check', torrent: p.torrent, dir: p.dataDir, seconds, label: 'WebTorrent check' }), mib))
      : notInstalled(ctx, 'WebTorrent 1.9', 'WebTorrent');
    return [
      makeCase({
        id: 'check',
        title: `check ${mib} MiB of existing data (no resume data, cache warm)`,
        unit: 's',
        actorrent: ours,
        anchor: openssl,
        others: [lt, wt],
        target: { text: '≤ 0.67× openssl', on: 'ratio', op: '<=', bound: 0.67 },
        notes: [
          `piece length ${ctx.config.pieceLength / 1024} KiB; actorrent from its "checking" to its "checked" line (no start-up); openssl: the whole process; libtorrent, WebTorrent: add → checked inside the process`,
        ],
      }),
    ];
  },
};
