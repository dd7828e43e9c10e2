import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseTrace } from '../../src/trace/read-trace.js';
import { checkRecorded, replayTrace } from '../../src/trace/replay.js';
import { GOLDEN_SCENARIOS, runGoldenScenario } from './golden-scenario.js';

/**
 * Golden traces: tiny in-process swarms on a simulated clock must write exactly the trace in
 * test/fixtures/trace/ (see its README). A change in what actorrent sends, or when, shows up here as
 * a diff to review; `UPDATE_GOLDEN=1` rewrites the files when the change is meant.
 */

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/trace/${name}.trace`, import.meta.url));

for (const scenario of GOLDEN_SCENARIOS) {
  test(`golden trace: ${scenario.name}`, { timeout: 60_000 }, async () => {
    const first = await runGoldenScenario(scenario);
    const second = await runGoldenScenario(scenario);
    assert.ok(first === second, 'two runs of the same scenario wrote different traces');
    const file = fixture(scenario.name);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, first);
    assert.ok(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
    const golden = readFileSync(file, 'utf8');
    if (first !== golden) {
      const a = first.split('\n');
      const b = golden.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      assert.fail(`the trace differs from ${file} at line ${line + 1}:\n  now:    ${a[line]}\n  golden: ${b[line]}\n(UPDATE_GOLDEN=1 rewrites it if the change is meant)`);
    }
  });
}

test('golden traces keep the invariants, and every node of them replays cleanly', { timeout: 60_000 }, async () => {
  for (const scenario of GOLDEN_SCENARIOS) {
    const trace = parseTrace(readFileSync(fixture(scenario.name), 'utf8'));
    assert.equal(checkRecorded(trace).violation, undefined);
    const nodes = [...new Set(trace.records.filter(({ record }) => record.kind === 'session').map(({ record }) => record.node))];
    assert.equal(nodes.length, scenario.leechers + 1);
    for (const node of nodes) {
      const result = await replayTrace(trace, { node });
      assert.equal(result.violation, undefined, `${scenario.name} ${node}: ${JSON.stringify(result.violation)}`);
      assert.ok(result.replay!.outbound > 0, `${scenario.name} ${node}: the replayed node sent nothing`);
      if (node !== 'seeder') assert.equal(result.replay!.piecesVerified, result.replay!.pieceCount, `${scenario.name} ${node}`);
    }
  }
});
