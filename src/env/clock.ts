/**
 * Time, injected. XState takes the same shape (`createActor(machine, { clock })`), so one clock —
 * the system's, or XState's SimulatedClock in the simulator — drives every machine timer and policy.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
