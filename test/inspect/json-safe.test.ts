import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, createMachine } from 'xstate';
import { toJsonSafe } from '../../src/inspect/json-safe.js';

test('bytes of any kind become { bytes: n }: no Buffer ever reaches JSON', () => {
  const event = { type: 'PIECE_ASSEMBLED', index: 3, blocks: [Buffer.alloc(16384), Buffer.alloc(100)], hash: new Uint8Array(20), raw: new ArrayBuffer(7), view: new DataView(new ArrayBuffer(5)) };
  assert.deepEqual(toJsonSafe(event), { type: 'PIECE_ASSEMBLED', index: 3, blocks: [{ bytes: 16384 }, { bytes: 100 }], hash: { bytes: 20 }, raw: { bytes: 7 }, view: { bytes: 5 } });
  assert.doesNotMatch(JSON.stringify(toJsonSafe({ b: Buffer.from('secret') })), /"type":"Buffer"|secret/);
});

test('class instances by name, functions, actors, Maps, Sets, dates, errors, odd numbers', () => {
  class PiecePicker {
    pieces = new Uint8Array(1000);
  }
  const actor = createActor(createMachine({ id: 'm' }), { id: 'the-actor' });
  const out = toJsonSafe({
    picker: new PiecePicker(),
    fn: function named() {},
    actor,
    peers: new Map([['a:1', { up: 1 }]]),
    banned: new Set(['x']),
    at: new Date(0),
    err: new Error('boom'),
    nan: NaN,
    big: 12n,
    nothing: undefined,
  });
  assert.deepEqual(out, {
    picker: '[PiecePicker]',
    fn: '[function named]',
    actor: { actor: 'the-actor' },
    peers: { type: 'Map', size: 1, entries: [['a:1', { up: 1 }]] },
    banned: { type: 'Set', size: 1, values: ['x'] },
    at: '1970-01-01T00:00:00.000Z',
    err: { error: 'boom' },
    nan: 'NaN',
    big: '12',
    nothing: null,
  });
});

test('depth, collection sizes and strings are capped; cycles do not loop', () => {
  const deep = { a: { b: { c: { d: { e: 1 } } } } };
  assert.deepEqual(toJsonSafe(deep, { depth: 2 }), { a: { b: '[Object]' } });
  assert.deepEqual(toJsonSafe([1, 2, 3, 4, 5], { maxItems: 2 }), [1, 2, '… 3 more']);
  const big = new Map(Array.from({ length: 1000 }, (_, i) => [i, i]));
  assert.deepEqual(toJsonSafe(big, { maxItems: 2 }), { type: 'Map', size: 1000, entries: [[0, 0], [1, 1], '… 998 more'] });
  assert.equal(toJsonSafe('x'.repeat(1000), { maxString: 3 }), 'xxx…');
  const loop: Record<string, unknown> = { name: 'loop' };
  loop['self'] = loop;
  assert.deepEqual(toJsonSafe(loop), { name: 'loop', self: '[circular]' });
  // The same object twice, side by side, is not a cycle.
  const shared = { n: 1 };
  assert.deepEqual(toJsonSafe({ x: shared, y: shared }), { x: { n: 1 }, y: { n: 1 } });
});
