import { MACHINES } from './machines.js';
import { machineToMermaid } from './mermaid.js';

/** The Markdown file for each diagram: what `npm run diagrams` writes and the staleness test compares. */
export function renderDiagrams(): Map<string, string> {
  const files = new Map<string, string>();
  const index = ['# State machines', '', 'Generated from the machine definitions by `npm run diagrams`; never edit by hand.', ''];
  for (const [name, { machine, title }] of Object.entries(MACHINES)) {
    files.set(
      `${name}.md`,
      [`# ${title}`, '', `Generated from \`${name}\` by \`npm run diagrams\`; never edit by hand.`, '', '```mermaid', machineToMermaid(machine).trimEnd(), '```', ''].join('\n'),
    );
    index.push(`- [${title}](${name}.md)`);
  }
  files.set('README.md', `${index.join('\n')}\n`);
  return files;
}
