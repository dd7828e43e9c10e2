import { createHash } from 'node:crypto';
import { MACHINES } from './machines.js';
import { machineToMermaid } from './mermaid.js';

/** Each machine's Mermaid source, by diagram name. */
export function mermaidSources(): Map<string, string> {
  return new Map(Object.entries(MACHINES).map(([name, { machine }]) => [name, machineToMermaid(machine).trimEnd()]));
}

/**
 * The first line of `diagrams/<name>.svg`: the SHA-256 of the Mermaid source it was rendered from, so
 * a test can tell a stale SVG without a browser to render it again.
 */
export function svgStamp(name: string, source: string): string {
  const digest = createHash('sha256').update(source).digest('hex');
  return `<!-- Rendered from diagrams/${name}.md by npm run diagrams (Mermaid source sha256 ${digest}); never edit by hand. -->`;
}

/** The Markdown file for each diagram: what `npm run diagrams` writes and the staleness test compares. */
export function renderDiagrams(): Map<string, string> {
  const files = new Map<string, string>();
  const index = ['# State machines', '', 'Generated from the machine definitions by `npm run diagrams`; never edit by hand.', ''];
  const sources = mermaidSources();
  for (const [name, { title }] of Object.entries(MACHINES)) {
    files.set(
      `${name}.md`,
      [`# ${title}`, '', `Generated from \`${name}\` by \`npm run diagrams\`; never edit by hand. As an image: [${name}.svg](${name}.svg).`, '', '```mermaid', sources.get(name)!, '```', ''].join('\n'),
    );
    index.push(`- [${title}](${name}.md) ([SVG](${name}.svg))`);
  }
  files.set('README.md', `${index.join('\n')}\n`);
  return files;
}
