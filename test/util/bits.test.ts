import { test } from 'node:test';
import assert from 'node:assert/strict';
import BitField from 'bitfield';
import { allBits, byteLength, clearSpareBits, forEachSetBit, hasBit, hasSpareBits, maskedCopy, popcount, setBit } from '../../src/util/bits.js';

test('bit 0 is the high bit of byte 0, as on the wire and in the bitfield package', () => {
  const bits = new Uint8Array(byteLength(10));
  assert.equal(bits.length, 2);
  setBit(bits, 0);
  setBit(bits, 9);
  assert.deepEqual([...bits], [0x80, 0x40]);
  assert.deepEqual([0, 1, 9].map((i) => hasBit(bits, i)), [true, false, true]);
  assert.equal(hasBit(bits, 100), false, 'past the end is unset');
  const field = new BitField(bits);
  assert.ok(field.get(0) && field.get(9) && !field.get(1));
});

test('spare bits: all bits, cleared, detected, and left out of counts', () => {
  assert.deepEqual([...allBits(10)], [0xff, 0xc0]);
  assert.deepEqual([...allBits(16)], [0xff, 0xff]);
  assert.deepEqual([...allBits(0)], []);
  const dirty = Uint8Array.from([0xff, 0xff, 0x01]);
  assert.equal(hasSpareBits(dirty, 10), true);
  assert.deepEqual([...maskedCopy(dirty, 10)], [0xff, 0xc0, 0x00]);
  assert.deepEqual([...dirty], [0xff, 0xff, 0x01], 'maskedCopy leaves its argument alone');
  assert.equal(hasSpareBits(clearSpareBits(dirty, 10), 10), false);
  assert.equal(hasSpareBits(Uint8Array.from([0xff, 0xc0]), 10), false);
  assert.equal(popcount(Uint8Array.from([0xff, 0xff]), 10), 10);
  assert.equal(popcount(Uint8Array.from([0xff, 0xff])), 16);
  assert.equal(popcount(Uint8Array.from([0x80]), 20), 1, 'a count past the array counts nothing more');
});

test('forEachSetBit visits set bits in order', () => {
  const seen: number[] = [];
  forEachSetBit(Uint8Array.from([0x81, 0x00, 0x20]), (i) => seen.push(i));
  assert.deepEqual(seen, [0, 7, 18]);
});
