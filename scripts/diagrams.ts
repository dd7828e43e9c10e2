// Writes diagrams/*.md from the machines, and diagrams/*.svg when chromium is installed (npm run diagrams).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mermaidSources, renderDiagrams, svgStamp } from '../src/diagrams/render.js';
import { CHROMIUM, canRenderSvg, renderMermaidSvgs } from './render-svg.js';

const dir = fileURLToPath(new URL('../diagrams/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = renderDiagrams();
const sources = mermaidSources();
for (const old of readdirSync(dir)) {
  const stale = (old.endsWith('.md') && !files.has(old)) || (old.endsWith('.svg') && !sources.has(old.slice(0, -4)));
  if (stale) rmSync(dir + old);
}
for (const [name, text] of files) writeFileSync(dir + name, text);
console.log(`wrote ${files.size} files to diagrams/`);

// Only the diagrams whose source changed are rendered again (a browser start costs seconds).
const stale = new Map([...sources].filter(([name, source]) => firstLine(`${dir}${name}.svg`) !== svgStamp(name, source)));
if (stale.size === 0) {
  console.log('SVGs are current');
} else if (!canRenderSvg()) {
  console.error(`cannot render ${stale.size} SVG${stale.size === 1 ? '' : 's'} (${[...stale.keys()].join(', ')}): no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exitCode = 1;
} else {
  for (const [name, svg] of await renderMermaidSvgs(stale)) writeFileSync(`${dir}${name}.svg`, `${svgStamp(name, sources.get(name)!)}\n${svg}\n`);
  console.log(`rendered ${stale.size} SVG${stale.size === 1 ? '' : 's'} to diagrams/`);
}

function firstLine(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
}
