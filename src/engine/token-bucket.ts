import type { Clock } from '../env/clock.js';
import { BLOCK_SIZE } from '../protocol/wire/index.js';

/** What the download and upload engines need of a rate limit (a TokenBucket, or a chain of them that can change at run time). */
export interface RateLimiter {
  /** Tokens now (negative while in debt; Infinity when nothing limits). */
  available(): number;
  tryTake(n: number): boolean;
  take(n: number): void;
  /** Milliseconds until a `tryTake(n)` can succeed (0 if it can now). */
  waitMs(n: number): number;
  whenAvailable(n: number, fn: () => void): void;
}

/**
 * A rate limit (`--upload-limit`, `--download-limit`) as a token bucket on the injected clock:
 * tokens are bytes, refilled at `rate` per second up to `burst`. A take succeeds when the bucket
 * holds at least `min(n, burst)` tokens and may leave it in debt, so a 128 KiB block still goes
 * through a 16 KiB bucket and the long-run rate stays `rate`. Whoever is refused asks to be called
 * back with `whenAvailable`; one timer per bucket serves every waiter.
 */
export class TokenBucket implements RateLimiter {
  readonly burst: number;
  private tokens: number;
  private last: number;
  private timer: unknown;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly rate: number,
    private readonly clock: Clock,
    burst?: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
    // A tenth of a second of traffic, at least one block: smooth, and no stall on small rates.
    this.burst = burst ?? Math.max(BLOCK_SIZE, Math.round(rate / 10));
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Tokens now (negative while in debt). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Takes `n` bytes' worth if there is enough; false (and nothing taken) otherwise. */
  tryTake(n: number): boolean {
    this.refill();
    if (this.tokens < Math.min(n, this.burst)) return false;
    this.tokens -= n;
    return true;
  }

  /** Takes `n` whatever the bucket holds (for bytes already checked against available()). */
  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  /** Milliseconds until a `tryTake(n)` can succeed (0 if it can now). */
  waitMs(n: number): number {
    this.refill();
    const missing = Math.min(n, this.burst) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.rate);
  }

  /** Calls `fn` once, when `n` tokens could be taken (the caller then tries again). */
  whenAvailable(n: number, fn: () => void): void {
    this.waiters.add(fn);
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        const waiting = [...this.waiters];
        this.waiters.clear();
        for (const waiter of waiting) waiter();
      },
      Math.max(1, this.waitMs(n)),
    );
    // A real timer must not keep the process alive once everything else has stopped.
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Forgets the waiters and stops the timer. */
  dispose(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.waiters.clear();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}
