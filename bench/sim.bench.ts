// The simulator's own speed: scenario 1 (1 seeder + 30 leechers, 64 MiB, every copy checked) in
// one process, as `npm test` runs it. Prints real time, simulated time and peak memory; exits 1
// if it takes longer than the 20 s budget (issue 7's bar for this 2-core machine).
//
//   node --import tsx bench/sim.bench.ts [leechers=30] [sizeMiB=64] [runs=3]
import { swarmScenario } from '../src/sim/scenarios.js';
import { runScenario } from '../src/sim/swarm.js';

const BUDGET_MS = 20_000;
const [leechers = 30, sizeMiB = 64, runs = 3] = process.argv.slice(2).map(Number);

const times: number[] = [];
for (let run = 0; run < runs; run++) {
  const result = await runScenario(swarmScenario({ leechers, size: sizeMiB * 1024 * 1024, seed: 1 }));
  const complete = result.peers.filter((p) => p.role === 'leecher' && p.completedAt !== undefined && p.exact).length;
  if (result.outcome !== 'complete' || complete !== leechers) throw new Error(`run ${run + 1}: ${result.outcome}, ${complete}/${leechers} exact copies`);
  times.push(result.realMs);
  console.log(
    `sim scenario 1 (${leechers} leechers, ${sizeMiB} MiB): ${(result.realMs / 1000).toFixed(1)} s real for ${(result.simulatedMs / 1000).toFixed(1)} s simulated, ` +
      `${result.steps} instants, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
  );
}
const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
console.log(`median ${(median / 1000).toFixed(1)} s (budget ${BUDGET_MS / 1000} s)`);
if (median > BUDGET_MS) process.exitCode = 1;
