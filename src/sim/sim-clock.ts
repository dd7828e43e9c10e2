import { SimulatedClock } from 'xstate';
import type { Clock } from '../env/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * Simulated time for the whole simulation: the `Clock` every actor, engine and link uses (and
 * XState's `clock` option). Timers live in a binary heap ordered by (deadline, creation order), so
 * timers due at the same instant fire in the order they were set: one run, one order. Time moves
 * only when the scheduler (or a test) says so: `set`, `increment`, `fireNext`, or `advance` (which
 * also lets the event loop settle between timers).
 *
 * A drop-in for XState's SimulatedClock (a subclass, so code typed for it takes this one; every
 * method is replaced), but each timer fires at its own deadline, even one armed while time moves.
 */
export class SimClock extends SimulatedClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly heap: Timer[] = [];
  /** Live timers by id; a cleared timer stays in the heap until it surfaces and is skipped. */
  private readonly live = new Map<number, Timer>();

  constructor(start = 0) {
    super();
    this.current = start;
  }

  override now(): number {
    return this.current;
  }

  override setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { id: this.nextId++, at: this.current + delay, fn: fn as () => void };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  override clearTimeout(id: unknown): void {
    this.live.delete(id as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.live.size;
  }

  /** When the earliest pending timer is due; undefined when none is. */
  nextDeadline(): number | undefined {
    this.dropCleared();
    return this.heap[0]?.at;
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
      this.dropCleared();
      const top = this.heap[0];
      if (top === undefined || top.at > this.current) return;
      this.pop();
      this.live.delete(top.id);
      top.fn();
    }
  }

  private dropCleared(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.pop();
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

/**
 * Lets the event loop run `turns` times: stream events (process.nextTick), promise callbacks and
 * setImmediate callbacks queued by the timers just fired. Not a timer: no wall-clock time is waited for.
 */
export async function settle(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
