import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimulatedClock } from 'xstate';
import { TokenBucket } from '../../src/engine/token-bucket.js';

test('starts with a burst, refuses beyond it, refills at the rate up to the burst', () => {
  const clock = new SimulatedClock();
  const bucket = new TokenBucket(100_000, clock, 20_000);
  assert.equal(bucket.tryTake(16_384), true);
  assert.equal(bucket.tryTake(16_384), false, 'only 3616 left');
  assert.equal(bucket.waitMs(16_384), Math.ceil(((16_384 - 3616) * 1000) / 100_000));
  clock.increment(128);
  assert.equal(bucket.tryTake(16_384), true);
  clock.increment(10_000);
  assert.equal(bucket.available(), 20_000, 'capped at the burst');
});

test('a take larger than the burst goes through a full bucket and leaves it in debt', () => {
  const clock = new SimulatedClock();
  const bucket = new TokenBucket(16_384, clock);
  assert.equal(bucket.burst, 16_384);
  assert.equal(bucket.tryTake(131_072), true);
  assert.equal(bucket.available(), 16_384 - 131_072);
  assert.equal(bucket.tryTake(1), false);
  assert.equal(bucket.waitMs(16_384), 8000, '128 KiB at 16 KiB/s');
});

test('whenAvailable calls every waiter once, from one timer, when the tokens are there', () => {
  const clock = new SimulatedClock();
  const bucket = new TokenBucket(10_000, clock, 16_384);
  bucket.take(16_384);
  const calls: string[] = [];
  bucket.whenAvailable(16_384, () => calls.push('a'));
  bucket.whenAvailable(16_384, () => calls.push('b'));
  clock.increment(1638);
  assert.equal(calls.length, 0);
  clock.increment(1);
  assert.deepEqual(calls.sort(), ['a', 'b']);
  assert.equal(bucket.tryTake(16_384), true);
  clock.increment(10_000);
  assert.deepEqual(calls.length, 2, 'called once only');
  bucket.whenAvailable(1, () => calls.push('c'));
  bucket.dispose();
  clock.increment(10_000);
  assert.equal(calls.length, 2, 'dispose drops waiters');
});

test('over any schedule of takes, the bytes taken never exceed burst + rate × elapsed (+ one take of debt)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1000, max: 1_000_000 }),
      fc.array(fc.record({ wait: fc.integer({ min: 0, max: 500 }), size: fc.integer({ min: 1, max: 131_072 }) }), { maxLength: 60 }),
      (rate, steps) => {
        const clock = new SimulatedClock();
        const bucket = new TokenBucket(rate, clock);
        let taken = 0;
        let elapsed = 0;
        for (const { wait, size } of steps) {
          clock.increment(wait);
          elapsed += wait;
          if (bucket.tryTake(size)) {
            taken += size;
            // Everything but the last take was paid for by the burst and the refill.
            assert.ok(taken - size <= bucket.burst + (rate * elapsed) / 1000 + 1e-6);
          }
        }
      },
    ),
    { numRuns: 200, seed: 5 },
  );
});
