import { SimulatedClock } from 'xstate';
import { settle } from './event-loop.js';

/**
 * XState's SimulatedClock, plus the one thing tests need from it: advancing time timer by timer.
 * `increment(ms)` jumps straight to the end, so a timer re-armed on the way would start late; here
 * each due timer fires at its own time, and stream events and promises run (`settle`) between steps,
 * as they would between real timers.
 */
export class SteppingClock extends SimulatedClock {
  private readonly deadlines = new Map<number, number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id: number = super.setTimeout(() => {
      this.deadlines.delete(id);
      fn();
    }, timeout);
    this.deadlines.set(id, this.now() + timeout);
    return id;
  }

  override clearTimeout(id: number): void {
    this.deadlines.delete(id);
    super.clearTimeout(id);
  }

  /** When the earliest pending timer is due; undefined when none is. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const at of this.deadlines.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Moves time forward by `ms`, firing each timer at its time and settling the event loop after each. */
  async advance(ms: number): Promise<void> {
    const target = this.now() + ms;
    for (;;) {
      const next = this.nextDeadline();
      if (next === undefined || next > target) break;
      this.set(Math.max(next, this.now()));
      await settle(3);
    }
    this.set(target);
    await settle(3);
  }
}
