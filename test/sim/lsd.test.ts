import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeLsdAnnounce } from '../../src/protocol/lsd.js';
import { lsdScenario } from '../../src/sim/scenarios.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { type SimResult, Swarm } from '../../src/sim/swarm.js';

async function run(lsd: boolean): Promise<{ result: SimResult; swarm: Swarm }> {
  // The control runs to its deadline: with nobody to meet, "every leecher present is complete" holds at once.
  const swarm = new Swarm(lsdScenario({ lsd }), { clock: new SimClock(), ...(lsd ? {} : { until: () => false }) });
  return { result: await swarm.run(), swarm };
}

test('scenario 9: with no tracker and no addresses, peers find each other by LSD and all complete; without LSD nobody meets', { timeout: 120_000 }, async () => {
  const { result, swarm } = await run(true);
  assert.equal(result.outcome, 'complete');
  const leechers = result.peers.filter((p) => p.role === 'leecher');
  assert.equal(leechers.length, 4);
  for (const leecher of leechers) assert.equal(leecher.exact, true, `${leecher.name} holds the payload`);
  // Later joiners were dialled by those already there, who heard their announce: leechers trade.
  const toLeechers = leechers.flatMap((p) => Object.entries(p.uploadedTo).filter(([to]) => to.startsWith('leecher-')));
  assert.ok(toLeechers.some(([, bytes]) => bytes > 0), `leechers uploaded to each other: ${JSON.stringify(leechers.map((p) => p.uploadedTo))}`);
  // Every dial in the swarm was to a peer heard by LSD.
  const dialled = swarm.peers.flatMap((p) => p.events).filter((e) => e.type === 'peer-connected' && e.direction === 'outgoing');
  assert.ok(dialled.length >= 4, `dials: ${dialled.length}`);
  for (const e of dialled) assert.equal((e as { source?: string }).source, 'lsd');
  // One announce per peer at its start, at its own address and port; none repeated within the run's minutes.
  const announces = swarm.lan.sent.map((s) => ({ from: s.from, port: decodeLsdAnnounce(s.data).port }));
  assert.equal(new Set(announces.map((a) => a.from)).size, 5);
  assert.ok(announces.every((a) => a.port === 6881));

  const control = await run(false);
  assert.equal(control.result.outcome, 'deadline');
  assert.ok(control.result.peers.filter((p) => p.role === 'leecher').every((p) => p.completedAt === undefined && p.downloaded === 0), 'without LSD nobody downloads anything');
  assert.equal(control.swarm.lan.sent.length, 0);
});
