import assert from 'node:assert/strict';
import { test } from 'node:test';
import { churnScenario } from '../../src/sim/scenarios.js';
import { runScenario } from '../../src/sim/swarm.js';

test('scenario 2: churn — leechers join and leave at seeded random times; everyone still there completes', { timeout: 120_000 }, async (t) => {
  const spec = churnScenario({ seed: 2, leechers: 12, leavers: 4 });
  const joins = spec.peers.map((p) => p.joinAtMs ?? 0);
  assert.ok(new Set(joins).size > 5, 'join times are spread out');
  const result = await runScenario(spec);
  t.diagnostic(`real ${result.realMs} ms, simulated ${(result.simulatedMs / 1000).toFixed(1)} s`);

  assert.equal(result.outcome, 'complete');
  const left = result.peers.filter((p) => p.leftAt !== undefined);
  const stayed = result.peers.filter((p) => p.role === 'leecher' && p.leftAt === undefined);
  assert.equal(left.length, 4);
  assert.ok(left.some((p) => p.completedAt === undefined), 'at least one peer left in the middle of its download');
  assert.ok(left.every((p) => p.downloaded > 0), 'the peers that left had been downloading');
  for (const peer of stayed) {
    assert.ok(peer.completedAt !== undefined, `${peer.name} completed`);
    assert.equal(peer.exact, true, `${peer.name} holds exactly the payload`);
  }
});
