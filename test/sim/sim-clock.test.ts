import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor, createMachine } from 'xstate';
import { SimClock } from '../../src/sim/sim-clock.js';
import { runSimulation, runUntilSettled } from '../../src/sim/scheduler.js';

test('timers fire in deadline order, same-instant timers in the order they were set', { timeout: 5000 }, () => {
  const clock = new SimClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b@20'), 20);
  clock.setTimeout(() => fired.push('a@10'), 10);
  clock.setTimeout(() => fired.push('c@20'), 20);
  const cleared = clock.setTimeout(() => fired.push('cleared'), 15);
  clock.clearTimeout(cleared);
  clock.set(20);
  assert.deepEqual(fired, ['a@10', 'b@20', 'c@20']);
  assert.equal(clock.pending, 0);
});

test('fireIn timers (no id, not clearable) take their turn with the others, by deadline then order set', { timeout: 5000 }, () => {
  const clock = new SimClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('a@10'), 10);
  clock.fireIn(10, () => fired.push('b@10'));
  clock.fireIn(5, () => fired.push('c@5'));
  const cleared = clock.setTimeout(() => fired.push('cleared'), 10);
  clock.fireIn(-3, () => fired.push('d@0'));
  clock.setTimeout(() => fired.push('e@10'), 10);
  clock.clearTimeout(cleared);
  assert.equal(clock.pending, 5);
  clock.set(10);
  assert.deepEqual(fired, ['d@0', 'c@5', 'a@10', 'b@10', 'e@10']);
  assert.equal(clock.pending, 0);
  assert.equal(clock.nextDeadline(), undefined);
});

test('a timer armed while time moves fires at its own deadline, not at the end of the jump', { timeout: 5000 }, () => {
  const clock = new SimClock();
  const at: number[] = [];
  const tick = () => {
    at.push(clock.now());
    if (at.length < 4) clock.setTimeout(tick, 10);
  };
  clock.setTimeout(tick, 10);
  clock.increment(100);
  assert.deepEqual(at, [10, 20, 30, 40]);
  assert.equal(clock.now(), 100);
  assert.throws(() => clock.set(50), /back/);
});

test('drives XState timers (the `clock` option of createActor)', { timeout: 5000 }, async () => {
  const clock = new SimClock();
  const actor = createActor(createMachine({ initial: 'a', states: { a: { after: { 5000: 'b' } }, b: {} } }), { clock });
  actor.start();
  await clock.advance(4999);
  assert.equal(actor.getSnapshot().value, 'a');
  await clock.advance(1);
  assert.equal(actor.getSnapshot().value, 'b');
});

test('the run loop lets promises run between instants and stops on its condition or deadline', { timeout: 5000 }, async () => {
  const clock = new SimClock();
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(() => resolve(), ms));
  let steps = 0;
  const chain = (async () => {
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      steps++;
    }
    return 'done';
  })();
  assert.equal(await runUntilSettled(clock, chain, 60_000), 'done');
  assert.equal(clock.now(), 5000);
  const outcome = await runSimulation(clock, { until: () => false, deadline: 9000 });
  assert.equal(outcome.reason, 'idle');
  assert.equal(clock.now(), 9000);
  assert.equal(steps, 5);
  void sleep(100_000);
  assert.equal((await runSimulation(clock, { deadline: 10_000 })).reason, 'deadline');
  await assert.rejects(runUntilSettled(clock, sleep(100_000), 20_000), /still not settled/);
});
