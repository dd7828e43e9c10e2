import BitField from 'bitfield';
import { byteLength, clearSpareBits, hasSpareBits } from '../../util/bits.js';
import { WireError } from './errors.js';

/**
 * Wire bitfields (BEP 3): piece 0 is the high bit of byte 0, and the spare bits after the last
 * piece must be zero. `BitField` (npm `bitfield`) uses the same bit order, so its `buffer` is the
 * wire form when it was made for `pieceCount` bits.
 */
export { BitField };

export function bitfieldByteLength(pieceCount: number): number {
  if (!Number.isInteger(pieceCount) || pieceCount < 0) throw new RangeError(`piece count ${pieceCount} is not a count`);
  return byteLength(pieceCount);
}

/** An empty bitfield sized for the torrent, or one with the pieces for which `has(index)` is true. */
export function createBitfield(pieceCount: number, has?: (index: number) => boolean): BitField {
  const bits = new BitField(new Uint8Array(bitfieldByteLength(pieceCount)));
  if (has) for (let i = 0; i < pieceCount; i++) if (has(i)) bits.set(i);
  return bits;
}

/** The payload of a `bitfield` message: a copy of the bits, with exactly the torrent's byte length. */
export function toWireBitfield(bits: BitField, pieceCount: number): Buffer {
  const length = bitfieldByteLength(pieceCount);
  if (bits.buffer.length < length) throw new RangeError(`bitfield of ${bits.buffer.length} bytes cannot hold ${pieceCount} pieces`);
  return clearSpareBits(Buffer.from(bits.buffer.subarray(0, length)), pieceCount);
}

/** Throws WireError unless `bytes` is a valid bitfield for `pieceCount` pieces. */
export function validateBitfield(bytes: Uint8Array, pieceCount: number): void {
  const length = bitfieldByteLength(pieceCount);
  if (bytes.length !== length) {
    throw new WireError('bitfield-length', `bitfield of ${bytes.length} bytes for ${pieceCount} pieces (expected ${length})`);
  }
  if (hasSpareBits(bytes, pieceCount)) {
    throw new WireError('bitfield-spare-bits', `bitfield has bits set after the last of ${pieceCount} pieces`);
  }
}

/** Validates a received bitfield and wraps a copy of it. */
export function parseBitfield(bytes: Uint8Array, pieceCount: number): BitField {
  validateBitfield(bytes, pieceCount);
  return new BitField(Uint8Array.from(bytes));
}
