import assert from 'node:assert/strict';
import { seededRng } from '../../src/env/rng.js';
import { ProtocolError } from '../../src/protocol/errors.js';

export { seededRng } from '../../src/env/rng.js';

export function randomBytes(rng: () => number, maxLength: number): Buffer {
  const out = Buffer.alloc(Math.floor(rng() * (maxLength + 1)));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/** One byte-level mutation of a valid sample: flip, replace, insert, delete, truncate or duplicate a slice. */
export function mutate(rng: () => number, sample: Buffer): Buffer {
  const pick = (n: number) => Math.floor(rng() * n);
  const at = pick(sample.length + 1);
  const interesting = [0x00, 0xff, 0x7f, 0x80, 0x30, 0x39, 0x3a, 0x64, 0x65, 0x69, 0x6c, 0x2d];
  switch (pick(6)) {
    case 0: {
      const out = Buffer.from(sample);
      const i = pick(out.length);
      if (out.length) out[i] = out[i]! ^ (1 << pick(8));
      return out;
    }
    case 1: {
      const out = Buffer.from(sample);
      if (out.length) out[pick(out.length)] = interesting[pick(interesting.length)]!;
      return out;
    }
    case 2:
      return Buffer.concat([sample.subarray(0, at), randomBytes(rng, 4), sample.subarray(at)]);
    case 3:
      return Buffer.concat([sample.subarray(0, at), sample.subarray(Math.min(sample.length, at + 1 + pick(8)))]);
    case 4:
      return sample.subarray(0, at);
    default: {
      const end = Math.min(sample.length, at + pick(16));
      return Buffer.concat([sample.subarray(0, end), sample.subarray(at, end), sample.subarray(end)]);
    }
  }
}

export interface FuzzReport {
  inputs: number;
  rejected: number;
  slowestMs: number;
  heapGrowthBytes: number;
}

/**
 * Feeds `count` inputs to `decoder`: a share of random bytes, the rest stacked mutations of valid
 * samples. Anything thrown other than a ProtocolError fails the test with the input in hex, as does
 * any single input taking longer than `perInputMs` (a hang shows up as a slow input, not a stuck run).
 */
export function fuzzDecoder(options: {
  seed: number;
  count: number;
  samples: Buffer[];
  decoder: (input: Buffer) => unknown;
  perInputMs?: number;
  maxRandomLength?: number;
}): FuzzReport {
  const rng = seededRng(options.seed);
  const perInputMs = options.perInputMs ?? 250;
  let rejected = 0;
  let slowestMs = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < options.count; i++) {
    let input: Buffer;
    if (i % 10 === 0 || options.samples.length === 0) {
      input = randomBytes(rng, options.maxRandomLength ?? 64);
    } else {
      input = options.samples[Math.floor(rng() * options.samples.length)]!;
      const rounds = 1 + Math.floor(rng() * 4);
      for (let r = 0; r < rounds; r++) input = mutate(rng, input);
    }
    const started = performance.now();
    try {
      options.decoder(input);
    } catch (err) {
      if (!(err instanceof ProtocolError)) {
        assert.fail(`seed ${options.seed} input #${i} (${input.toString('hex')}) threw ${String(err)}`);
      }
      rejected++;
    }
    const ms = performance.now() - started;
    if (ms > slowestMs) slowestMs = ms;
    if (ms > perInputMs) assert.fail(`seed ${options.seed} input #${i} took ${ms.toFixed(1)} ms: ${input.toString('hex').slice(0, 200)}`);
  }
  global.gc?.();
  return { inputs: options.count, rejected, slowestMs, heapGrowthBytes: process.memoryUsage().heapUsed - heapBefore };
}
