/**
 * Bit arrays in BitTorrent's layout (BEP 3 bitfields): bit i is the high-order bit first, so piece 0
 * is 0x80 of byte 0; bits past the count in the last byte ("spare bits") are zero on the wire. Resume
 * data, file selections, the picker's peer sets and the wire's bitfields all use this one layout, so
 * any of them can be sent, stored or wrapped in a `BitField` as it is.
 */

export function byteLength(bitCount: number): number {
  return (bitCount + 7) >>> 3;
}

/** False past the end of `bits`. */
export function hasBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >>> 3] ?? 0) & (0x80 >>> (i & 7))) !== 0;
}

export function setBit(bits: Uint8Array, i: number): void {
  bits[i >>> 3]! |= 0x80 >>> (i & 7);
}

/** Every one of `bitCount` bits set, spare bits zero (a seed's bitfield). */
export function allBits(bitCount: number): Uint8Array {
  return clearSpareBits(new Uint8Array(byteLength(bitCount)).fill(0xff), bitCount);
}

/** Clears, in place, every bit past the first `bitCount`; returns `bits`. */
export function clearSpareBits<T extends Uint8Array>(bits: T, bitCount: number): T {
  const whole = bitCount >>> 3;
  if (whole >= bits.length) return bits;
  const kept = bitCount & 7;
  if (kept > 0) bits[whole]! &= (0xff00 >>> kept) & 0xff;
  bits.fill(0, kept > 0 ? whole + 1 : whole);
  return bits;
}

/** Whether a bit past the first `bitCount` is set (on the wire, a malformed bitfield). */
export function hasSpareBits(bits: Uint8Array, bitCount: number): boolean {
  const whole = bitCount >>> 3;
  const kept = bitCount & 7;
  for (let i = whole; i < bits.length; i++) {
    const mask = i === whole ? 0xff >>> kept : 0xff;
    if ((bits[i]! & mask) !== 0) return true;
  }
  return false;
}

/** A copy of `bits` with the spare bits past `bitCount` cleared. */
export function maskedCopy(bits: Uint8Array, bitCount: number): Uint8Array {
  return clearSpareBits(Uint8Array.from(bits), bitCount);
}

/** Bits set among the first `bitCount` (default: all of `bits`). */
export function popcount(bits: Uint8Array, bitCount = bits.length * 8): number {
  const whole = Math.min(bits.length, bitCount >>> 3);
  let n = 0;
  for (let i = 0; i < whole; i++) {
    let b = bits[i]!;
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  for (let i = whole * 8; i < bitCount; i++) if (hasBit(bits, i)) n++;
  return n;
}

/** Calls `fn` with the index of each set bit, in order; skips zero bytes without looking at their bits. */
export function forEachSetBit(bits: Uint8Array, fn: (i: number) => void): void {
  for (let byte = 0; byte < bits.length; byte++) {
    const value = bits[byte]!;
    if (value === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (value & (0x80 >>> bit)) fn(byte * 8 + bit);
  }
}
