import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from './until.js';

test('until resolves as soon as the condition holds, with its value', async () => {
  let checks = 0;
  const value = await until(() => ++checks >= 3 && `after ${checks} checks`, { intervalMs: 0 });
  assert.equal(value, 'after 3 checks');
  assert.equal(await until(async () => 42), 42);
});

test('until fails naming what it waited for, once the time is up', async () => {
  let state = 'idle';
  const started = performance.now();
  await assert.rejects(until(() => state === 'done', { what: () => `the job done (state ${state})`, timeoutMs: 50 }), {
    message: 'the job done (state idle): not within 50 ms',
  });
  assert.ok(performance.now() - started >= 50);
  state = 'done';
});

test('until fails on time also when a check never settles, and with the error of a check that throws', async () => {
  await assert.rejects(until(() => new Promise<boolean>(() => undefined), { what: 'an answer', timeoutMs: 50 }), { message: 'an answer: not within 50 ms' });
  await assert.rejects(
    until(() => {
      throw new Error('broken probe');
    }),
    { message: 'broken probe' },
  );
});
