/**
 * Randomness, injected. A seeded generator (mulberry32: small, fast, reproducible) serves the tests,
 * benchmarks and the simulator; the engine takes any `() => number` in [0, 1), Math.random by default.
 */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random bytes drawn from an rng (the simulator's seeded one keeps MSE handshakes reproducible). */
export function randomBytesFrom(rng: Rng): (length: number) => Buffer {
  return (length) => {
    const bytes = Buffer.allocUnsafe(length);
    for (let k = 0; k < length; k++) bytes[k] = Math.floor(rng() * 256);
    return bytes;
  };
}
