import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMachine } from 'xstate';
import { machineToMermaid } from '../../src/diagrams/mermaid.js';
import { renderDiagrams } from '../../src/diagrams/render.js';

const dir = fileURLToPath(new URL('../../diagrams/', import.meta.url));

test('diagrams/ is what the machines generate (run `npm run diagrams` after changing a machine)', () => {
  const expected = renderDiagrams();
  const onDisk = readdirSync(dir).filter((f) => f.endsWith('.md')).sort();
  assert.deepEqual(onDisk, [...expected.keys()].sort());
  for (const [name, text] of expected) assert.equal(readFileSync(dir + name, 'utf8'), text, `diagrams/${name} is stale`);
});

test('a changed machine gives a different diagram', () => {
  const before = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } });
  const after = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b', BACK: 'a' } }, b: { type: 'final' } } });
  const text = machineToMermaid(before);
  assert.match(text, /m_a --> m_b: GO/);
  assert.match(text, /m_b --> \[\*\]/);
  assert.notEqual(machineToMermaid(after), text);
});
