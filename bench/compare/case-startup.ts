// Start-up: `node dist/cli/main.cjs --help` against `node -e 0`, the floor of any node program.
// Always the built CLI (tsx would time its own compiler): if dist is missing it is built first.
// hyperfine when installed (no shell, warm-up runs), else spawnSync timed with performance.now.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type BenchCase, type Ctx, actorrentName, say } from './context.js';
import { ROOT } from './config.js';
import { DIST_CLI } from './env-info.js';
import { tempDir } from './payload.js';
import { run } from './procs.js';
import { type Measure, makeCase, measure, median } from './results.js';

const WARMUP = 3;

async function ensureBuilt(): Promise<string | undefined> {
  if (existsSync(DIST_CLI)) return undefined;
  say('  dist/cli/main.cjs is missing: building it first (npm run build)');
  const built = await run(['npm', 'run', 'build'], { label: 'npm run build', seconds: 300, cwd: ROOT });
  return built.code === 0 ? undefined : `npm run build failed (${built.code}): ${built.stderr}`;
}

/** Milliseconds per run of each command, by hyperfine. */
async function withHyperfine(commands: string[][], runs: number): Promise<number[][]> {
  const out = path.join(tempDir('hyperfine'), 'result.json');
  const quoted = commands.map((c) => c.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' '));
  const r = await run(['hyperfine', '--shell=none', '--style', 'none', '--warmup', String(WARMUP), '--runs', String(runs), '--export-json', out, ...quoted], {
    label: 'hyperfine',
    seconds: 120,
    cwd: ROOT,
  });
  if (r.code !== 0) throw new Error(`hyperfine exited ${r.code}: ${r.stderr}`);
  const json = JSON.parse(readFileSync(out, 'utf8')) as { results: { times: number[] }[] };
  return json.results.map((x) => x.times.map((t) => t * 1000));
}

/** The same without hyperfine: warm-up, then the commands in turn, so drift hits both alike. */
function withSpawnSync(commands: string[][], runs: number): number[][] {
  const once = (c: string[]) => {
    const started = performance.now();
    const r = spawnSync('timeout', ['30', ...c], { cwd: ROOT, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${c.join(' ')} exited ${r.status}`);
    return performance.now() - started;
  };
  for (const c of commands) for (let i = 0; i < WARMUP; i++) once(c);
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) commands.forEach((c, j) => times[j]!.push(once(c)));
  return times;
}

export const startupCase: BenchCase = {
  id: 'startup',
  async run(ctx: Ctx) {
    const runs = ctx.config.startupRuns;
    const ours = [process.execPath, DIST_CLI, '--help'];
    const floor = [process.execPath, '-e', '0'];
    say(`  start-up: actorrent --help (dist) against node -e 0, ${runs} runs each${ctx.clients.hyperfine ? ' (hyperfine)' : ''}`);
    let a: Measure;
    let b: Measure;
    const name = actorrentName(ctx).replace('(tsx)', '(dist)');
    const buildError = await ensureBuilt();
    if (buildError) {
      a = measure(name, [], buildError);
      b = measure('node -e 0', []);
    } else {
      const [t1, t2] = ctx.clients.hyperfine ? await withHyperfine([ours, floor], runs) : withSpawnSync([ours, floor], runs);
      a = measure(`${name} --help`, t1!);
      b = measure(`node ${process.version} -e 0`, t2!);
      say(`    actorrent --help ${median(t1!)?.toFixed(0)} ms, node -e 0 ${median(t2!)?.toFixed(0)} ms`);
    }
    return [
      makeCase({
        id: 'startup',
        title: '`actorrent --help`, process start to exit',
        unit: 'ms',
        actorrent: a,
        anchor: b,
        target: { text: '≤ 1.25× node -e 0', on: 'ratio', op: '<=', bound: 1.25 },
        notes: [ctx.clients.hyperfine ? `hyperfine ${ctx.clients.hyperfine}, ${WARMUP} warm-up runs, no shell` : 'spawnSync timed with performance.now (hyperfine not installed)'],
      }),
    ];
  },
};
