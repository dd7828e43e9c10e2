import assert from 'node:assert/strict';
import { test } from 'node:test';
import { magnetScenario } from '../../src/sim/scenarios.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { runScenario } from '../../src/sim/swarm.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';

interface WireLine {
  node: string;
  kind: string;
  dir: 'in' | 'out' | null;
  msg: { type?: string; ext?: string; metadata?: { type: string } };
}

test('scenario 8: magnet leechers fetch the metadata over ut_metadata, also from each other, then complete byte-exact', { timeout: 180_000 }, async () => {
  const clock = new SimClock();
  const metadataSent: WireLine[] = [];
  const recorder = createTraceRecorder({
    clock,
    meta: { command: 'sim', argv: ['magnet'] },
    write: (line) => {
      const record = JSON.parse(line) as WireLine;
      if (record.kind === 'wire' && record.dir === 'out' && record.msg.ext === 'ut_metadata' && record.msg.metadata?.type === 'data') metadataSent.push(record);
    },
  });
  const result = await runScenario(magnetScenario(), {
    clock,
    observer: { sessionOptions: (label) => recorder.forSession(label), torrentAdded: (label, _session, handle) => recorder.attach(label, handle) },
  });
  await recorder.close();
  assert.equal(result.outcome, 'complete');
  const leechers = result.peers.filter((p) => p.role === 'leecher');
  for (const leecher of leechers) {
    assert.equal(leecher.exact, true, `${leecher.name} holds the payload`);
    assert.ok(leecher.metadataAt !== undefined && leecher.metadataAt < leecher.completedAt!, `${leecher.name} had the metadata before completing`);
  }
  const servers = new Set(metadataSent.map((line) => line.node));
  assert.ok(servers.has('seeder'), 'the seeder served metadata');
  assert.ok([...servers].some((node) => node.startsWith('leecher-')), `a leecher served metadata too (servers: ${[...servers].join(', ')})`);
});
