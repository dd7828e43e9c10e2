import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bitfieldByteLength,
  createBitfield,
  parseBitfield,
  toWireBitfield,
  validateBitfield,
  WireError,
} from '../../../src/protocol/wire/index.js';

function assertWireError(fn: () => unknown, code: string) {
  assert.throws(fn, (err: unknown) => err instanceof WireError && err.code === code);
}

test('byte length is ceil(pieces / 8)', () => {
  assert.equal(bitfieldByteLength(0), 0);
  assert.equal(bitfieldByteLength(1), 1);
  assert.equal(bitfieldByteLength(8), 1);
  assert.equal(bitfieldByteLength(9), 2);
  assert.throws(() => bitfieldByteLength(-1), RangeError);
});

test('wire order: piece 0 is the high bit of byte 0', () => {
  const bits = createBitfield(10, (i) => i === 0 || i === 9);
  assert.equal(toWireBitfield(bits, 10).toString('hex'), '8040');
  assert.equal(toWireBitfield(createBitfield(10, () => true), 10).toString('hex'), 'ffc0');
  assert.equal(toWireBitfield(createBitfield(10), 10).toString('hex'), '0000');
});

test('round-trip: createBitfield → toWireBitfield → parseBitfield keeps every piece', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 100 }), (have) => {
      const wire = toWireBitfield(createBitfield(have.length, (i) => have[i]!), have.length);
      validateBitfield(wire, have.length);
      const parsed = parseBitfield(wire, have.length);
      for (let i = 0; i < have.length; i++) assert.equal(parsed.get(i), have[i]);
    }),
    { numRuns: 300 },
  );
});

test('toWireBitfield clears spare bits set on the BitField', () => {
  const bits = createBitfield(10);
  bits.set(12); // past the last piece, inside the last byte
  assert.equal(toWireBitfield(bits, 10).toString('hex'), '0000');
});

test('validateBitfield refuses the wrong byte length', () => {
  assertWireError(() => validateBitfield(Buffer.alloc(1), 10), 'bitfield-length');
  assertWireError(() => validateBitfield(Buffer.alloc(3), 10), 'bitfield-length');
  assertWireError(() => validateBitfield(Buffer.alloc(0), 1), 'bitfield-length');
});

test('validateBitfield refuses each spare bit set, accepts a full last byte when pieces % 8 = 0', () => {
  for (let pieceCount = 1; pieceCount <= 16; pieceCount++) {
    const length = bitfieldByteLength(pieceCount);
    for (let spare = pieceCount; spare < length * 8; spare++) {
      const bytes = Buffer.alloc(length, 0xff);
      bytes.fill(0, length - 1);
      bytes[length - 1] = 0x80 >> (spare % 8);
      assertWireError(() => validateBitfield(bytes, pieceCount), 'bitfield-spare-bits');
    }
    const full = toWireBitfield(createBitfield(pieceCount, () => true), pieceCount);
    validateBitfield(full, pieceCount);
  }
  validateBitfield(Buffer.from([0xff, 0xff]), 16);
});

test('parseBitfield copies the received bytes', () => {
  const bytes = Buffer.from([0x80]);
  const bits = parseBitfield(bytes, 3);
  bytes[0] = 0;
  assert.equal(bits.get(0), true);
});
