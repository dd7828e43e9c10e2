import { type SimClock, settle } from './sim-clock.js';

export interface RunOptions {
  /** Stop as soon as this holds (checked after every simulated instant). */
  until?: () => boolean;
  /** Simulated time (ms, absolute) not to go past. */
  deadline: number;
  /** Event-loop turns between instants. Default 1 (promise callbacks and stream events all run within one). */
  settleTurns?: number;
  /** Give up after this many instants (a guard against a busy simulation that never ends). */
  maxSteps?: number;
}

export type RunOutcome = { reason: 'condition' | 'deadline' | 'idle' | 'max-steps'; steps: number; now: number };

/**
 * The simulation's run loop: let the event loop settle (promises, stream events), then move the
 * clock to the next timer deadline and fire it, until `until` holds, the deadline passes, or there
 * is nothing left to do. Nothing here waits for wall-clock time.
 */
export async function runSimulation(clock: SimClock, options: RunOptions): Promise<RunOutcome> {
  const turns = options.settleTurns ?? 1;
  const maxSteps = options.maxSteps ?? Infinity;
  let steps = 0;
  await settle(turns);
  for (;;) {
    if (options.until?.()) return { reason: 'condition', steps, now: clock.now() };
    if (steps >= maxSteps) return { reason: 'max-steps', steps, now: clock.now() };
    if (!clock.fireNext(options.deadline)) {
      // Nothing due: give promise chains a last chance to arm a timer before calling it a day.
      await settle(turns * 4);
      if (clock.fireNext(options.deadline)) {
        steps++;
        await settle(turns);
        continue;
      }
      const idle = clock.nextDeadline() === undefined;
      if (clock.now() < options.deadline) clock.set(options.deadline);
      await settle(turns);
      return { reason: options.until?.() ? 'condition' : idle ? 'idle' : 'deadline', steps, now: clock.now() };
    }
    steps++;
    await settle(turns);
  }
}

/** Runs the simulation until `promise` settles (or the deadline passes), then returns its outcome. */
export async function runUntilSettled<T>(clock: SimClock, promise: Promise<T>, deadline: number): Promise<T> {
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  const outcome = await runSimulation(clock, { until: () => done, deadline });
  if (!done) throw new Error(`still not settled at simulated ${outcome.now} ms (${outcome.reason})`);
  return watched;
}
