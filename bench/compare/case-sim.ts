// The simulator: `actorrent sim --peers 30 --size 64MiB` (1 seeder + 30 leechers, simulated clock,
// network and disks, the real actors), wall time of the whole process. No anchor: its target is
// an absolute one. bench/sim.bench.ts runs the same scenario in-process with its own budget.
import { actorrentCommand } from './actorrent.js';
import { type BenchCase, type Ctx, actorrentName, say } from './context.js';
import { run } from './procs.js';
import { makeCase, measure, repeat } from './results.js';

export const simCase: BenchCase = {
  id: 'sim',
  async run(ctx: Ctx) {
    const { simPeers: peers, simMiB: mib, runs } = ctx.config;
    say(`  sim: actorrent sim --peers ${peers} --size ${mib}MiB, ${runs} run(s)`);
    const { values, error } = await repeat(runs, async (i) => {
      const started = performance.now();
      const r = await run(actorrentCommand(['sim', '--peers', String(peers), '--size', `${mib}MiB`]), { label: 'actorrent sim', seconds: 180 });
      if (r.code !== 0) throw new Error(`actorrent sim exited ${r.code}: ${r.stderr || r.stdout.slice(-300)}`);
      const seconds = (performance.now() - started) / 1000;
      say(`    run ${i + 1}: ${seconds.toFixed(2)} s`);
      return { seconds };
    });
    return [
      makeCase({
        id: 'sim',
        title: `\`actorrent sim --peers ${peers} --size ${mib}MiB\`, wall time`,
        unit: 's',
        actorrent: measure(actorrentName(ctx), values.seconds ?? [], error),
        anchor: null,
        target: { text: '≤ 10 s', on: 'value', op: '<=', bound: 10 },
      }),
    ];
  },
};
