import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idleFloodScenario } from '../../src/sim/scenarios.js';
import { Swarm } from '../../src/sim/swarm.js';

/** Scenario 6: a host holding 500 idle connections to the seeder does not slow the swarm by more than a fifth. */

async function lastCompletion(connections: number) {
  const swarm = new Swarm(idleFloodScenario({ seed: 6, connections }));
  const result = await swarm.run();
  // The server keeps its counts after the session closed.
  const incoming = swarm.byName('seeder')!.session!.serverStats();
  assert.equal(result.outcome, 'complete', `${connections} idle connections: the swarm completes`);
  for (const peer of result.peers.filter((p) => p.role === 'leecher')) assert.equal(peer.exact, true, `${peer.name} holds exactly the payload`);
  const done = Math.max(...result.peers.map((p) => p.completedAt ?? 0));
  return { done, incoming, flood: swarm.idleFloods[0]?.flood?.stats };
}

test('scenario 6: 500 idle connections to the seeder from one host; the swarm completes within 1.2× its time without them', { timeout: 180_000 }, async () => {
  const quiet = await lastCompletion(0);
  const attacked = await lastCompletion(500);
  const report = `quiet ${quiet.done} ms, attacked ${attacked.done} ms; seeder's incoming ${JSON.stringify(attacked.incoming)}; flood ${JSON.stringify(attacked.flood)}`;
  console.log(`# ${report}`);
  assert.ok(attacked.flood && attacked.flood.attempts >= 500, `the flood was on: ${report}`);
  assert.ok(attacked.incoming.rejected > 0, `the seeder refused the flood's surplus: ${report}`);
  assert.ok(attacked.done <= 1.2 * quiet.done, report);
});
