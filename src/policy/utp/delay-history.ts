import { u32Less } from '../../protocol/utp/seq.js';

/**
 * The base delay of LEDBAT: the lowest one-way delay sample of the last few minutes. Samples are
 * raw 32-bit microsecond differences between two unsynchronised clocks, so only differences from
 * the base mean anything. The history keeps one minimum per minute (libutp keeps 13, libtorrent
 * about 10), so a route change or clock drift ages out instead of pinning the base forever. Pure:
 * every function returns a new history.
 */
export interface DelayHistory {
  /** Minimum of each finished minute, newest last (at most `minutes`). */
  readonly minutes: readonly number[];
  /** Minimum of the current minute, or undefined before the first sample. */
  readonly current?: number;
  /** When the current minute started (ms, injected clock). */
  readonly minuteStart: number;
}

export const BASE_HISTORY_MINUTES = 10;

export function emptyDelayHistory(now: number): DelayHistory {
  return { minutes: [], minuteStart: now };
}

/** The base: the lowest of every kept minimum; undefined before any sample. */
export function baseDelay(history: DelayHistory): number | undefined {
  let base = history.current;
  for (const m of history.minutes) if (base === undefined || u32Less(m, base)) base = m;
  return base;
}

/** Records a raw sample taken at `now`. */
export function addDelaySample(history: DelayHistory, sample: number, now: number, keep = BASE_HISTORY_MINUTES): DelayHistory {
  let { minutes, current, minuteStart } = history;
  if (now - minuteStart >= 60_000 && current !== undefined) {
    minutes = [...minutes, current].slice(-keep);
    current = undefined;
    minuteStart = now;
  }
  const value = sample >>> 0;
  if (current === undefined || u32Less(value, current)) current = value;
  return { minutes, current, minuteStart };
}

/** How far `sample` is above the base, in microseconds (0 when it is the base or there is none). */
export function delayAboveBase(history: DelayHistory, sample: number): number {
  const base = baseDelay(history);
  if (base === undefined) return 0;
  const d = ((sample >>> 0) - base) >>> 0;
  return d >= 0x80000000 ? 0 : d;
}
