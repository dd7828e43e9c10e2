import { SimulatedClock } from 'xstate';
import type { Clock } from '../env/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  cleared: boolean;
}

/**
 * Simulated time for the whole simulation: the `Clock` every actor, engine and link uses (and
 * XState's `clock` option). Timers fire by (deadline, creation order), so timers due at the same
 * instant fire in the order they were set: one run, one order. They are kept in one list per
 * deadline (in the order set), the deadlines in a binary heap: the network's events land on whole
 * milliseconds, so thousands of timers share a few hundred deadlines. Time moves
 * only when the scheduler (or a test) says so: `set`, `increment`, `fireNext`, or `advance` (which
 * also lets the event loop settle between timers).
 *
 * A drop-in for XState's SimulatedClock (a subclass, so code typed for it takes this one; every
 * method is replaced), but each timer fires at its own deadline, even one armed while time moves.
 */
export class SimClock extends SimulatedClock implements Clock {
  private current: number;
  private nextId = 1;
  /** The timers due at each deadline, in the order set; `next` is the first not yet fired. */
  private readonly buckets = new Map<number, { at: number; timers: Timer[]; next: number }>();
  /** The deadlines of `buckets`, a min-heap. */
  private readonly deadlines: number[] = [];
  /** Live timers by id; a cleared timer stays in its list until its turn comes and is skipped. */
  private readonly live = new Map<number, Timer>();
  /** Pending timers of `fireIn`, which have no id to clear them by. */
  private uncancellable = 0;

  constructor(start = 0) {
    super();
    this.current = start;
  }

  override now(): number {
    return this.current;
  }

  override setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { id: this.nextId++, at: this.current + delay, fn: fn as () => void, cleared: false };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  override clearTimeout(id: unknown): void {
    const timer = this.live.get(id as number);
    if (timer === undefined) return;
    timer.cleared = true;
    this.live.delete(timer.id);
  }

  /**
   * A timer that cannot be cleared, ordered with all the others: for the simulator's own hot paths
   * (every chunk a socket sends arms two), which need no id and no entry in the table of live ones.
   */
  fireIn(ms: number, fn: () => void): void {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.uncancellable++;
    this.push({ id: this.nextId++, at: this.current + delay, fn, cleared: false });
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.live.size + this.uncancellable;
  }

  /** When the earliest pending timer is due; undefined when none is. */
  nextDeadline(): number | undefined {
    return this.firstBucket()?.at;
  }

  /**
   * Moves time to the earliest deadline (never past `limit`) and fires every timer due then, in
   * order; timers they arm for the same instant fire too. Returns false when nothing was due by `limit`.
   */
  fireNext(limit = Infinity): boolean {
    const next = this.nextDeadline();
    if (next === undefined || next > limit) return false;
    if (next > this.current) this.current = next;
    this.fireDue();
    return true;
  }

  /** Jumps to `time`, firing every timer due on the way at its own time (no settling in between). */
  override set(time: number): void {
    if (time < this.current) throw new Error(`cannot move time back from ${this.current} to ${time}`);
    while (this.fireNext(time)) {
      /* each call fires one instant's timers */
    }
    this.current = time;
  }

  override increment(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves time forward by `ms`, firing each timer at its time and letting the event loop settle after each instant. */
  async advance(ms: number, settleTurns = 3): Promise<void> {
    const target = this.current + ms;
    await settle(settleTurns);
    while (this.fireNext(target)) await settle(settleTurns);
    this.current = target;
    await settle(settleTurns);
  }

  private fireDue(): void {
    for (;;) {
      const bucket = this.firstBucket();
      if (bucket === undefined || bucket.at > this.current) return;
      const timer = bucket.timers[bucket.next++]!;
      if (!this.live.delete(timer.id)) this.uncancellable--;
      // Timers it sets for this same instant join this bucket and fire in this loop.
      timer.fn();
    }
  }

  /** The earliest deadline's bucket, its `next` on a timer not cleared; undefined when nothing is pending. */
  private firstBucket(): { at: number; timers: Timer[]; next: number } | undefined {
    for (;;) {
      const at = this.deadlines[0];
      if (at === undefined) return undefined;
      const bucket = this.buckets.get(at)!;
      const { timers } = bucket;
      while (bucket.next < timers.length && timers[bucket.next]!.cleared) bucket.next++;
      if (bucket.next < timers.length) return bucket;
      this.buckets.delete(at);
      this.popDeadline();
    }
  }

  private push(timer: Timer): void {
    const bucket = this.buckets.get(timer.at);
    if (bucket !== undefined) {
      bucket.timers.push(timer);
      return;
    }
    this.buckets.set(timer.at, { at: timer.at, timers: [timer], next: 0 });
    const heap = this.deadlines;
    let i = heap.length;
    heap.push(timer.at);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= timer.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer.at;
  }

  private popDeadline(): void {
    const heap = this.deadlines;
    const last = heap.pop()!;
    const length = heap.length;
    if (length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

/**
 * Lets the event loop run `turns` times: stream events (process.nextTick), promise callbacks and
 * setImmediate callbacks queued by the timers just fired. Not a timer: no wall-clock time is waited for.
 */
export async function settle(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
