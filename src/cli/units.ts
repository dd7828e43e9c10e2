/**
 * Sizes and rates on the command line: plain bytes, or a number with a suffix. k/K, M, G, T and
 * KiB, MiB, GiB, TiB are powers of 1024 (as aria2 and Transmission read `40M`); kB, MB, GB, TB are
 * powers of 1000 for those who mean it.
 */
const MULTIPLIERS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

export class UsageError extends Error {}

export function parseSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const multiplier = match ? MULTIPLIERS[match[2]!.toLowerCase()] : undefined;
  if (!match || multiplier === undefined) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: use bytes or a number with k, M, G, KiB, MiB or GiB`);
  }
  const value = Math.round(Number(match[1]) * multiplier);
  if (!Number.isSafeInteger(value)) throw new UsageError(`${what} ${JSON.stringify(text)} is too large`);
  return value;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
