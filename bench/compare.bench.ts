// actorrent against its anchors, side by side in one invocation: each case runs actorrent and the
// client it is measured against (libtorrent, WebTorrent, openssl, opentracker, `node -e 0`) on the
// same data, one after the other, and reports the medians, their ratio and the target. Prints a
// table, writes bench/results.json (BENCH_WRITE_README=1 also rewrites the README's table).
// Clients that are missing are named with how to install them; the rest still runs.
//
//   node --import tsx bench/compare.bench.ts            full sizes (the targets'), 3 runs
//   BENCH_QUICK=1 node --import tsx bench/compare.bench.ts    small sizes, 1 run (a couple of minutes)
//   BENCH_ONLY=transfer,check  BENCH_RUNS=5  BENCH_TRANSFER_MIB=1024 …   see bench/compare/config.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkCase } from './compare/case-check.js';
import { daemonCase } from './compare/case-daemon.js';
import { simCase } from './compare/case-sim.js';
import { startupCase } from './compare/case-startup.js';
import { swarmCase } from './compare/case-swarm.js';
import { trackerCase } from './compare/case-tracker.js';
import { largeCase, transferCase, utpCase } from './compare/case-transfer.js';
import { ROOT, readConfig } from './compare/config.js';
import { type BenchCase, type Ctx, say } from './compare/context.js';
import { clients, machine, missing } from './compare/env-info.js';
import { removeTempRoot } from './compare/payload.js';
import { stopAll } from './compare/procs.js';
import type { CaseResult } from './compare/results.js';
import { type BenchResults, terminalTable } from './compare/table.js';
import { rewriteReadme } from './readme-table.js';

// Start-up first, while nothing else has warmed or filled the machine; the large payload after
// the transfer it is compared with.
const CASES: BenchCase[] = [startupCase, checkCase, transferCase, largeCase, utpCase, swarmCase, trackerCase, simCase, daemonCase];

const config = readConfig();
const ctx: Ctx = { config, clients: clients(), missing: [], previous: [] };
ctx.missing = missing(ctx.clients);

async function cleanUp(): Promise<void> {
  await stopAll();
  removeTempRoot();
}

// Interrupted: stop every child by PID and remove the temporary folder before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
}

const m = machine();
const a = ctx.clients.actorrent;
say(`compare: ${m.cpu}, ${m.cores} cores, node ${m.node}; ${config.quick ? 'QUICK mode (small sizes)' : 'full sizes'}, ${config.runs} run(s) per case`);
say(`actorrent ${a.version} via ${a.cli === 'dist' ? 'dist/cli/main.cjs' : 'tsx src/cli/main.ts (no dist: run npm run build for the real numbers)'}`);
if (a.distStale) say('  warning: dist/ is older than src/: run `npm run build` to measure the current source');
for (const x of ctx.missing) say(`missing: ${x.client} (${x.install}): ${x.effect}`);
const apt = ctx.missing.filter((x) => x.install.startsWith('apt-get')).map((x) => x.install.split(' ').at(-1));
if (apt.length) say(`to install them: apt-get install -y ${apt.join(' ')}`);

const started = performance.now();
const results: CaseResult[] = ctx.previous;
let failures = 0;
try {
  for (const c of CASES) {
    if (config.only && !config.only.has(c.id)) continue;
    say(`== ${c.id}`);
    try {
      results.push(...(await c.run(ctx)));
    } catch (err) {
      failures++;
      say(`  ${c.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
} finally {
  await cleanUp();
}

const { only: _only, resultsFile, writeReadme, ...settings } = config;
const report: BenchResults = {
  date: new Date().toISOString(),
  quick: config.quick,
  runs: config.runs,
  durationSeconds: Math.round((performance.now() - started) / 1000),
  machine: m,
  clients: ctx.clients,
  missing: ctx.missing,
  settings,
  cases: results,
};
say('');
say(terminalTable(report));
writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
say(`\nwritten ${path.relative(ROOT, resultsFile)} (${report.durationSeconds} s in all)`);
if (writeReadme) say(rewriteReadme(resultsFile));
// A case that could not run, or actorrent failing a run, is an error; missed targets are not.
if (failures > 0 || results.some((r) => r.actorrent.error)) process.exitCode = 1;
