/**
 * Waiting on the event loop, never on the wall clock: tests with a SimulatedClock let stream events
 * and promise callbacks run between steps, and give up after a bounded number of turns.
 */

/** One turn of the event loop: pending I/O callbacks, stream events and promise callbacks run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A few turns: enough for bytes to cross a duplex pair and the reactions to come back. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await tick();
}

/** Turns the event loop until `condition` holds; fails with `what` after `maxTurns`. */
export async function until(condition: () => boolean, what: string, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await tick();
  }
  if (!condition()) throw new Error(`${what}: still not true after ${maxTurns} turns of the event loop`);
}
