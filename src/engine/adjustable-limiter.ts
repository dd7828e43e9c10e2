import type { Clock } from '../env/clock.js';
import { type RateLimiter, TokenBucket } from './token-bucket.js';

/**
 * A rate limit that can be changed or lifted while torrents run, optionally under a parent limit
 * (the daemon's global limit above each torrent's own): bytes must be available in both, and are
 * taken from both. Waiters are kept here rather than in a bucket, so a rate change wakes them all
 * to try again at once (a lifted limit must not leave a request waiting on the old bucket's timer).
 */
export class AdjustableLimiter implements RateLimiter {
  private bucket?: TokenBucket;
  private timer: unknown;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    /** Bytes per second; undefined = unlimited. */
    rate?: number,
    private readonly parent?: RateLimiter,
  ) {
    this.setRate(rate);
  }

  /** The current rate in bytes per second, or undefined when this level does not limit. */
  get rate(): number | undefined {
    return this.bucket?.rate;
  }

  /** Changes the rate (undefined or ≤ 0 lifts the limit); whoever waits tries again now. */
  setRate(rate: number | undefined): void {
    const next = rate !== undefined && rate > 0 ? rate : undefined;
    if (next === this.bucket?.rate) return;
    this.bucket?.dispose();
    this.bucket = next === undefined ? undefined : new TokenBucket(next, this.clock);
    this.wakeAll();
  }

  available(): number {
    return Math.min(this.bucket?.available() ?? Infinity, this.parent?.available() ?? Infinity);
  }

  tryTake(n: number): boolean {
    if (this.waitMs(n) > 0) return false;
    this.take(n);
    return true;
  }

  take(n: number): void {
    this.bucket?.take(n);
    this.parent?.take(n);
  }

  waitMs(n: number): number {
    return Math.max(this.bucket?.waitMs(n) ?? 0, this.parent?.waitMs(n) ?? 0);
  }

  whenAvailable(n: number, fn: () => void): void {
    this.waiters.add(fn);
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.wakeAll();
    }, Math.max(1, this.waitMs(n)));
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  dispose(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.waiters.clear();
    this.bucket?.dispose();
  }

  private wakeAll(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiting) waiter();
  }
}
