import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corruptPeerScenario } from '../../src/sim/scenarios.js';
import { Swarm } from '../../src/sim/swarm.js';

test('scenario 3: a peer sending corrupt blocks is found at block level and banned; downloads complete byte-exact', { timeout: 120_000 }, async () => {
  const swarm = new Swarm(corruptPeerScenario({ seed: 3, leechers: 2 }));
  const result = await swarm.run();
  assert.equal(result.outcome, 'complete');
  const corrupt = result.corruptPeers[0]!;
  assert.ok(corrupt.corrupted > 0, 'the corrupt peer served wrong blocks');

  for (const peer of swarm.peers.filter((p) => p.spec.role === 'leecher')) {
    const name = peer.spec.name;
    const failed = peer.events.filter((e) => e.type === 'piece-failed');
    assert.ok(failed.length > 0, `${name}: a piece failed its hash`);
    const bans = peer.events.flatMap((e) => (e.type === 'peer-banned' ? [e] : []));
    assert.deepEqual([...new Set(bans.map((b) => swarm.nameOfAddress(b.address)))], ['corrupt'], `${name} banned the corrupt peer and nobody else`);
    // Fewer failed pieces than the strikes rule needs (3): the ban came from comparing blocks.
    assert.match(bans[0]!.reason, /corrupt block/, `${name}: the ban names the block it caught (${bans[0]!.reason})`);
    assert.ok(failed.length < 3);
    const stats = result.peers.find((p) => p.name === name)!;
    assert.ok(stats.completedAt !== undefined, `${name} completed`);
    assert.equal(stats.exact, true, `${name} holds exactly the payload`);
  }
});
