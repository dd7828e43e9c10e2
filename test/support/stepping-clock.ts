/**
 * The simulator's clock (src/sim/sim-clock.ts) under its test name: XState-compatible simulated
 * time whose `advance(ms)` fires each due timer at its own time and settles the event loop between.
 */
export { SimClock as SteppingClock } from '../../src/sim/sim-clock.js';
