// Writes diagrams/*.md from the machines (npm run diagrams).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDiagrams } from '../src/diagrams/render.js';

const dir = fileURLToPath(new URL('../diagrams/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = renderDiagrams();
for (const old of readdirSync(dir)) if (old.endsWith('.md') && !files.has(old)) rmSync(dir + old);
for (const [name, text] of files) writeFileSync(dir + name, text);
console.log(`wrote ${files.size} files to diagrams/`);
