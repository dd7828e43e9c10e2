// The results as a terminal table and as the README's Markdown table (both from the same JSON).
import type { Clients, Machine, Missing } from './env-info.js';
import type { CaseResult, Measure } from './results.js';

export interface BenchResults {
  date: string;
  quick: boolean;
  runs: number;
  durationSeconds: number;
  machine: Machine;
  clients: Clients;
  missing: Missing[];
  settings: Record<string, number | boolean>;
  cases: CaseResult[];
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '-';
  if (unit === 's') return `${value.toFixed(2)} s`;
  if (unit === '/s') return value >= 1000 ? `${(value / 1000).toFixed(1)} k/s` : `${Math.round(value)}/s`;
  return `${Math.round(value)} ${unit}`;
}

function formatMeasure(m: Measure | null, unit: string): string {
  if (!m) return '—';
  if (m.missing) return `missing (${m.name})`;
  if (m.value === null) return `failed (${m.name})`;
  return `${m.atLeast ? '≥ ' : ''}${formatValue(m.value, unit)} (${m.name})`;
}

const status = (c: CaseResult) => (c.met === null ? '?' : c.met ? 'met' : 'missed');
const ratioText = (c: CaseResult) => (c.ratio === null ? '-' : `${c.ratioBound === 'upper' ? '≤ ' : c.ratioBound === 'lower' ? '≥ ' : ''}${c.ratio.toFixed(2)}×`);
const valueText = (m: Measure, unit: string) => `${m.atLeast ? '≥ ' : ''}${formatValue(m.value, unit)}`;

export function terminalTable(results: BenchResults): string {
  const rows = results.cases.map((c) => [c.title, valueText(c.actorrent, c.unit), formatMeasure(c.anchor, c.unit), ratioText(c), c.target.text, status(c)]);
  const header = ['case', 'actorrent', 'anchor', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  results.cases.forEach((c, i) => {
    out.push(line(rows[i]!));
    for (const other of c.others) out.push(`${' '.repeat(widths[0]! + widths[1]! + 4)}also: ${formatMeasure(other, c.unit)}`);
    for (const note of c.notes) out.push(`    · ${note}`);
    for (const m of [c.actorrent, c.anchor, ...c.others]) if (m?.error) out.push(`    ! ${m.name}: ${m.error.slice(0, 300)}`);
  });
  return out.join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(results: BenchResults): string {
  const c = results.clients;
  const versions = [
    `actorrent ${c.actorrent.version}${c.actorrent.commit ? ` (${c.actorrent.commit})` : ''}`,
    c.libtorrent ? `libtorrent ${c.libtorrent}` : 'libtorrent missing',
    c.webtorrent ? `WebTorrent ${c.webtorrent}` : 'WebTorrent missing',
    c.openssl ? `OpenSSL ${c.openssl}` : 'openssl missing',
    c.opentracker ? `opentracker ${c.opentracker}` : 'opentracker missing',
  ].join(', ');
  const m = results.machine;
  const lines = [
    `Measured ${results.date.slice(0, 10)} by \`npm run bench\`${results.quick ? ' in **quick mode** (reduced sizes: the targets are set for full sizes)' : ''}: ` +
      `${m.cpu}, ${m.cores} cores, ${Math.round(m.memoryMiB / 1024)} GiB, node ${m.node}; ${versions}. ` +
      `Median of ${results.runs} run${results.runs === 1 ? '' : 's'}; ratio = actorrent / anchor.`,
    '',
    '| work | actorrent | anchor | ratio | target | |',
    '|---|---|---|---|---|---|',
  ];
  for (const k of results.cases) {
    const others = k.others.map((o) => `; ${formatMeasure(o, k.unit)}`).join('');
    lines.push(`| ${cell(k.title)} | ${valueText(k.actorrent, k.unit)} | ${cell(formatMeasure(k.anchor, k.unit) + others)} | ${ratioText(k)} | ${cell(k.target.text)} | ${status(k)} |`);
  }
  const notes = results.cases.flatMap((k) => k.notes.map((n) => `- ${k.title}: ${n}`));
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
