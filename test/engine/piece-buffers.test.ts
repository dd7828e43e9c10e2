import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PieceBuffers } from '../../src/engine/piece-buffers.js';
import { contiguousView } from '../../src/storage/block-slices.js';

test('piece buffers of the piece length are reused up to the free budget; other sizes are not kept', () => {
  const pool = new PieceBuffers(1024, 2048);
  const a = pool.take(1024);
  const b = pool.take(1024);
  const c = pool.take(1024);
  assert.notEqual(a, b);
  pool.give(a);
  pool.give(b);
  pool.give(c); // beyond 2 KiB of free buffers: dropped
  assert.equal(pool.freeCount, 2);
  pool.give(Buffer.alloc(100)); // the short last piece: not pooled
  assert.equal(pool.freeCount, 2);
  assert.ok([a, b].includes(pool.take(1024)));
  assert.equal(pool.take(100).length, 100);
});

test('contiguousView: consecutive views of one buffer become one view; anything else is left as blocks', () => {
  const piece = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
  const whole = contiguousView([piece.subarray(0, 16), piece.subarray(16, 48), piece.subarray(48, 64)]);
  assert.deepEqual(whole, piece);
  assert.equal(whole?.buffer, piece.buffer);
  assert.equal(contiguousView([piece.subarray(0, 16), piece.subarray(32, 48)]), undefined, 'a gap');
  assert.equal(contiguousView([piece.subarray(16, 32), piece.subarray(0, 16)]), undefined, 'out of order');
  assert.equal(contiguousView([Buffer.alloc(16), Buffer.alloc(16)]), undefined, 'two buffers');
  assert.equal(contiguousView([]), undefined);
});
