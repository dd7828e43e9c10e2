import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMachine } from 'xstate';
import { machineToMermaid } from '../../src/diagrams/mermaid.js';
import { mermaidSources, renderDiagrams, svgStamp } from '../../src/diagrams/render.js';
import { CHROMIUM, renderMermaidSvgs } from '../../scripts/render-svg.js';
import { requireTool } from '../support/tools.js';

const dir = fileURLToPath(new URL('../../diagrams/', import.meta.url));

test('diagrams/ is what the machines generate (run `npm run diagrams` after changing a machine)', () => {
  const expected = renderDiagrams();
  const onDisk = readdirSync(dir).filter((f) => f.endsWith('.md')).sort();
  assert.deepEqual(onDisk, [...expected.keys()].sort());
  for (const [name, text] of expected) assert.equal(readFileSync(dir + name, 'utf8'), text, `diagrams/${name} is stale`);
});

test('each diagrams/*.svg was rendered from its machine\'s current Mermaid source (run `npm run diagrams`)', () => {
  const sources = mermaidSources();
  const onDisk = readdirSync(dir).filter((f) => f.endsWith('.svg')).sort();
  assert.deepEqual(onDisk, [...sources.keys()].map((name) => `${name}.svg`).sort());
  for (const [name, source] of sources) {
    const [stamp, svg] = readFileSync(`${dir}${name}.svg`, 'utf8').split('\n', 2);
    assert.equal(stamp, svgStamp(name, source), `diagrams/${name}.svg is stale`);
    assert.match(svg!, /^<svg [^>]*class="statediagram"/);
  }
});

test('Mermaid renders a statechart to SVG offline, in chromium, with the labels in it', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, [CHROMIUM, '--version'], 'chromium')) return;
  const svgs = await renderMermaidSvgs(new Map([['tiny', 'stateDiagram-v2\n  [*] --> idle\n  idle --> busy: WORK\n  busy --> idle: DONE']]));
  const svg = svgs.get('tiny')!;
  assert.match(svg, /^<svg /);
  for (const label of ['idle', 'busy', 'WORK', 'DONE']) assert.ok(svg.includes(label), `${label} drawn`);
});

test('a changed machine gives a different diagram', () => {
  const before = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } });
  const after = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b', BACK: 'a' } }, b: { type: 'final' } } });
  const text = machineToMermaid(before);
  assert.match(text, /m_a --> m_b: GO/);
  assert.match(text, /m_b --> \[\*\]/);
  assert.notEqual(machineToMermaid(after), text);
});
