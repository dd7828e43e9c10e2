import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLOW_FAST, slowFastScenario } from '../../src/sim/scenarios.js';
import { runScenario } from '../../src/sim/swarm.js';

test('scenario 4: with fast and slow seeders the endgame does not wait for the slow link', { timeout: 120_000 }, async () => {
  const spec = slowFastScenario({ seed: 4 });
  const result = await runScenario(spec);
  assert.equal(result.outcome, 'complete');
  const leecher = result.peers.find((p) => p.name === 'leecher')!;
  const slow = result.peers.find((p) => p.name === 'slow')!;
  assert.equal(leecher.exact, true);
  assert.ok(slow.uploaded > 0, 'the slow seeder took part (requests were sent to it)');
  // What the fast seeders alone need, and what one more 16 KiB block from the slow link costs.
  const fastOnlyMs = (spec.size / (SLOW_FAST.fastSeeders * SLOW_FAST.fastUpload)) * 1000;
  const slowBlockMs = ((16 * 1024) / SLOW_FAST.slowUpload) * 1000;
  const completedAt = leecher.completedAt!;
  assert.ok(
    completedAt < fastOnlyMs * 1.15 + 4 * spec.link.latencyMs,
    `complete at ${completedAt.toFixed(0)} ms; the fast seeders alone need ${fastOnlyMs.toFixed(0)} ms, a block from the slow one ${slowBlockMs} ms`,
  );
});
