import assert from 'node:assert/strict';
import { test } from 'node:test';
import { swarmScenario } from '../../src/sim/scenarios.js';
import { Swarm, runScenario } from '../../src/sim/swarm.js';

const MiB = 1024 * 1024;

test('scenario 1: one seeder and 30 leechers share 64 MiB; every copy is byte-exact and the leechers serve each other', { timeout: 180_000 }, async (t) => {
  const spec = swarmScenario({ leechers: 30, size: 64 * MiB, seed: 1 });
  const result = await runScenario(spec);
  t.diagnostic(`real ${result.realMs} ms for ${(result.simulatedMs / 1000).toFixed(1)} simulated s, ${result.steps} instants`);

  assert.equal(result.outcome, 'complete');
  const leechers = result.peers.filter((p) => p.role === 'leecher');
  assert.equal(leechers.length, 30);
  for (const leecher of leechers) {
    assert.ok(leecher.completedAt !== undefined, `${leecher.name} completed`);
    assert.equal(leecher.exact, true, `${leecher.name} holds exactly the payload`);
    assert.equal(leecher.downloaded >= 64 * MiB, true);
  }
  const seeder = result.peers.find((p) => p.role === 'seeder')!;
  const total = 30 * 64 * MiB;
  // Without leecher-to-leecher traffic the seeder would upload all 30 copies.
  assert.ok(seeder.uploaded < total / 5, `the seeder uploaded ${seeder.uploaded} bytes, well under ${total}`);
  const leecherToLeecher = leechers.reduce((sum, l) => sum + Object.entries(l.uploadedTo).reduce((s, [to, bytes]) => s + (to.startsWith('leecher-') ? bytes : 0), 0), 0);
  assert.ok(leecherToLeecher > total * 0.75, `leechers sent each other ${leecherToLeecher} bytes`);
  assert.ok(leechers.filter((l) => l.uploaded > 0).length >= 25, 'nearly every leecher uploaded');
});

test('a small swarm on MemoryStorage disks with latency on the simulated clock: complete and byte-exact', { timeout: 60_000 }, async () => {
  const spec = swarmScenario({ leechers: 3, size: 3 * MiB + 12_345, seed: 8 });
  spec.storage = 'memory';
  for (const peer of spec.peers) peer.diskLatencyMs = 15;
  const result = await runScenario(spec);
  assert.equal(result.outcome, 'complete');
  for (const leecher of result.peers.filter((p) => p.role === 'leecher')) {
    assert.ok(leecher.completedAt !== undefined, `${leecher.name} completed`);
    assert.equal(leecher.exact, true, `${leecher.name} holds exactly the payload`);
  }
  // Every disk access waited 15 simulated ms: slower than the same swarm without.
  const fast = await runScenario({ ...swarmScenario({ leechers: 3, size: 3 * MiB + 12_345, seed: 8 }), storage: 'memory' });
  const last = (r: typeof result) => Math.max(...r.peers.map((p) => p.completedAt ?? 0));
  assert.ok(last(result) > last(fast), `${last(result)} ms with disk latency, ${last(fast)} ms without`);
});

test('peers find each other through actorrent\'s tracker over simulated UDP (BEP 15) and HTTP', { timeout: 60_000 }, async () => {
  for (const protocol of ['udp', 'http'] as const) {
    const spec = { ...swarmScenario({ leechers: 4, size: 2 * MiB, seed: 6 }), tracker: { protocol } };
    const swarm = new Swarm(spec);
    const result = await swarm.run();
    const announces = swarm.tracker!.stats().requests[protocol].announce;
    assert.equal(result.outcome, 'complete', protocol);
    assert.ok(announces >= 5, `${protocol}: every peer announced (${announces})`);
    const leechers = result.peers.filter((p) => p.role === 'leecher');
    assert.ok(leechers.every((l) => l.exact === true), protocol);
    // Nobody was handed addresses: leechers trading with each other learned of them from the tracker.
    assert.ok(leechers.some((l) => Object.entries(l.uploadedTo).some(([to, bytes]) => to.startsWith('leecher-') && bytes > 0)), protocol);
  }
});
