/**
 * Turns of the event loop, never the wall clock: tests with a SimulatedClock let stream events and
 * promise callbacks run between steps. To wait for a condition, `until` (./until.js) with
 * `{ intervalMs: 0 }` checks it on every turn.
 */

/** One turn of the event loop: pending I/O callbacks, stream events and promise callbacks run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A few turns: enough for bytes to cross a duplex pair and the reactions to come back. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await tick();
}
