import { MagnetError, quote } from './error.js';

/** Highest file index a `so` list may name (about a million files). */
export const MAX_SELECT_ONLY_INDEX = 0xfffff;
/** Most indices a `so` list may expand to, counted before de-duplication, so "0-999999" can't blow up memory. */
export const MAX_SELECT_ONLY_COUNT = 100_000;

const ITEM = /^([0-9]{1,7})(?:-([0-9]{1,7}))?$/;

/**
 * BEP 53 `so=0,2,4-6`: zero-based file indices, dashes are inclusive ranges. Several `so`
 * parameters are merged. Returns the indices sorted ascending without repeats.
 */
export function parseSelectOnly(values: readonly string[]): number[] {
  const selected = new Set<number>();
  let total = 0;
  for (const value of values) {
    const bad = (why: string) => new MagnetError('invalid-select-only', `invalid magnet select-only so=${quote(value)}: ${why}`);
    if (value === '') throw bad('empty list');
    for (const item of value.split(',')) {
      const match = ITEM.exec(item);
      if (!match) throw bad(`${quote(item, 16)} is not an index or a range like 4-6`);
      const first = Number(match[1]);
      const last = match[2] === undefined ? first : Number(match[2]);
      if (last > MAX_SELECT_ONLY_INDEX) throw bad(`index ${last} is above ${MAX_SELECT_ONLY_INDEX}`);
      if (last < first) throw bad(`range ${item} runs backwards`);
      total += last - first + 1;
      if (total > MAX_SELECT_ONLY_COUNT) throw bad(`selects more than ${MAX_SELECT_ONLY_COUNT} files`);
      for (let i = first; i <= last; i++) selected.add(i);
    }
  }
  return [...selected].sort((a, b) => a - b);
}

/** Writes indices as BEP 53 text, collapsing runs of three or more into ranges. */
export function formatSelectOnly(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  for (const index of sorted) {
    if (!Number.isInteger(index) || index < 0 || index > MAX_SELECT_ONLY_INDEX) {
      throw new MagnetError('invalid-select-only', `magnet select-only index ${index} is not an integer in 0-${MAX_SELECT_ONLY_INDEX}`);
    }
  }
  const items: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const first = sorted[i]!;
    const last = sorted[j]!;
    if (last - first >= 2) items.push(`${first}-${last}`);
    else for (let k = i; k <= j; k++) items.push(String(sorted[k]));
    i = j + 1;
  }
  return items.join(',');
}
