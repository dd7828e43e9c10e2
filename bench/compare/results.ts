// One case's numbers: actorrent's median, its anchor's, the ratio between them and the target,
// plus any further anchors shown for reference. Medians are over the runs that succeeded.

export interface Measure {
  /** Who was measured, with the version: "actorrent 0.1.0 (dist)", "libtorrent 2.0.8.0". */
  name: string;
  /** The median of `runs`; null when missing or every run failed. */
  value: number | null;
  runs: number[];
  /** Why there is no value: the client is not installed (names the package). */
  missing?: string;
  /** Why some or all runs failed. */
  error?: string;
  /** The load generator was the limit (a tracker faster than it can drive): the true value is at least this. */
  atLeast?: boolean;
}

export interface Target {
  /** As printed: "≤ 0.8× libtorrent", "≤ 100 MiB". */
  text: string;
  /** `ratio` compares actorrent/anchor with `bound`; `value` compares actorrent's own value. */
  on: 'ratio' | 'value';
  op: '<=' | '>=';
  bound: number;
}

export interface CaseResult {
  id: string;
  title: string;
  unit: string;
  actorrent: Measure;
  anchor: Measure | null;
  others: Measure[];
  /** actorrent / anchor. */
  ratio: number | null;
  /** Set when a value is only a lower bound: the true ratio is at most (`upper`) or at least (`lower`) `ratio`. */
  ratioBound?: 'upper' | 'lower';
  target: Target;
  /** null when it cannot be told (a value is missing). */
  met: boolean | null;
  notes: string[];
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function measure(name: string, runs: number[], error?: string): Measure {
  return { name, value: median(runs), runs: runs.map(round), ...(error ? { error } : {}) };
}

export function missingMeasure(name: string, install: string): Measure {
  return { name, value: null, runs: [], missing: install };
}

export function makeCase(c: Omit<CaseResult, 'ratio' | 'met' | 'others' | 'notes'> & { others?: Measure[]; notes?: string[]; met?: boolean | null }): CaseResult {
  const a = c.actorrent.value;
  const b = c.anchor?.value ?? null;
  const ratio = a !== null && b !== null && b > 0 ? a / b : null;
  const judged = c.target.on === 'ratio' ? ratio : a;
  let computed = judged === null ? null : c.target.op === '<=' ? judged <= c.target.bound : judged >= c.target.bound;
  // A lower bound on the anchor makes the ratio an upper bound, and the other way round; both: unknown.
  const ratioBound = c.anchor?.atLeast ? (c.actorrent.atLeast ? undefined : 'upper') : c.actorrent.atLeast ? 'lower' : undefined;
  const unsure = c.target.on === 'ratio' ? Boolean(c.anchor?.atLeast || c.actorrent.atLeast) : Boolean(c.actorrent.atLeast);
  if (unsure && computed !== null) {
    // The true value can only be above (lower bound) or below (upper bound) the measured one, so
    // one verdict is certain and the other is not known.
    const canOnlyGrow = c.target.on === 'value' || ratioBound === 'lower';
    const certain = (c.target.op === '>=') === canOnlyGrow;
    if (computed !== certain || (c.target.on === 'ratio' && ratioBound === undefined)) computed = null;
  }
  return {
    ...c,
    ...(ratio !== null && ratioBound ? { ratioBound } : {}),
    actorrent: { ...c.actorrent, value: roundOrNull(a) },
    anchor: c.anchor ? { ...c.anchor, value: roundOrNull(b) } : null,
    others: (c.others ?? []).map((m) => ({ ...m, value: roundOrNull(m.value) })),
    ratio: roundOrNull(ratio),
    met: c.met === undefined ? computed : c.met,
    notes: c.notes ?? [],
  };
}

/**
 * Runs `fn` `runs` times, collecting each named number; a failed run is recorded and skipped
 * (the others still count). Runs one after the other: never two measurements at once.
 */
export async function repeat(runs: number, fn: (run: number) => Promise<Record<string, number>>): Promise<{ values: Record<string, number[]>; error?: string }> {
  const values: Record<string, number[]> = {};
  const errors: string[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      for (const [key, v] of Object.entries(await fn(i))) (values[key] ??= []).push(v);
    } catch (err) {
      errors.push(`run ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
      process.stdout.write(`    ! ${errors.at(-1)}\n`);
    }
  }
  return { values, ...(errors.length ? { error: errors.join('; ') } : {}) };
}

export function round(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 1000) / 1000;
}

function roundOrNull(x: number | null): number | null {
  return x === null ? null : round(x);
}
