import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PEX_SWARM, pexScenario } from '../../src/sim/scenarios.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { type SimResult, runScenario } from '../../src/sim/swarm.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';

interface WireLine {
  node: string;
  kind: string;
  dir: 'in' | 'out' | null;
  msg: { type?: string; ext?: string; pex?: { added: { peer: string; flags: number }[] } };
}

async function run(pex: boolean): Promise<{ result: SimResult; wire: WireLine[] }> {
  const clock = new SimClock();
  const wire: WireLine[] = [];
  const recorder = createTraceRecorder({
    clock,
    meta: { command: 'sim', argv: ['pex'] },
    write: (line) => {
      const record = JSON.parse(line) as WireLine;
      if (record.kind === 'wire' && record.msg.type === 'extended') wire.push(record);
    },
  });
  const result = await runScenario(pexScenario({ pex }), {
    clock,
    observer: { sessionOptions: (label) => recorder.forSession(label), torrentAdded: (label, _session, handle) => recorder.attach(label, handle) },
  });
  await recorder.close();
  return { result, wire };
}

const leecherToLeecher = (result: SimResult) =>
  result.peers.filter((p) => p.role === 'leecher').reduce((sum, p) => sum + Object.entries(p.uploadedTo).filter(([to]) => to.startsWith('leecher-')).reduce((n, [, b]) => n + b, 0), 0);
const lastCompletion = (result: SimResult) => Math.max(...result.peers.filter((p) => p.role === 'leecher').map((p) => p.completedAt ?? Infinity));

test('scenario 7: leechers told only of the seeder learn each other by PEX and trade pieces; without PEX they cannot', { timeout: 180_000 }, async (t) => {
  const withPex = await run(true);
  assert.equal(withPex.result.outcome, 'complete');
  const leechers = withPex.result.peers.filter((p) => p.role === 'leecher');
  assert.equal(leechers.length, PEX_SWARM.leechers);
  for (const leecher of leechers) {
    assert.equal(leecher.exact, true, `${leecher.name} holds the payload`);
    const toLeechers = Object.entries(leecher.uploadedTo).filter(([to]) => to.startsWith('leecher-'));
    assert.ok(toLeechers.some(([, bytes]) => bytes > 0), `${leecher.name} uploaded to another leecher: ${JSON.stringify(leecher.uploadedTo)}`);
  }
  // The trace shows ut_pex: the seeder told leechers about each other, leechers told each other.
  const pexLines = withPex.wire.filter((l) => l.msg.ext === 'ut_pex');
  assert.ok(pexLines.some((l) => l.node === 'seeder' && l.dir === 'out' && (l.msg.pex?.added.length ?? 0) > 0), 'the seeder sent ut_pex with added peers');
  assert.ok(pexLines.some((l) => l.node.startsWith('leecher-') && l.dir === 'out'), 'leechers sent ut_pex too');
  assert.ok(pexLines.every((l) => (l.msg.pex?.added.length ?? 0) <= 50), 'no message adds more than 50 peers');

  const control = await run(false);
  assert.equal(control.result.outcome, 'complete');
  assert.equal(leecherToLeecher(control.result), 0, 'without PEX no leecher ever met another');
  assert.equal(control.wire.filter((l) => l.msg.ext === 'ut_pex').length, 0);
  const fast = lastCompletion(withPex.result);
  const slow = lastCompletion(control.result);
  assert.ok(fast < 0.6 * slow, `with PEX the last leecher finished at ${fast} ms, without at ${slow} ms`);
  t.diagnostic(`last leecher complete: ${(fast / 1000).toFixed(1)} s with PEX, ${(slow / 1000).toFixed(1)} s without; leecher→leecher ${leecherToLeecher(withPex.result)} bytes; ${pexLines.length} ut_pex messages; ${withPex.result.realMs} ms real`);
});
