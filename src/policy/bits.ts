/** Bit sets in the wire's layout: piece 0 is the high bit of byte 0. */

export function byteLength(bitCount: number): number {
  return (bitCount + 7) >>> 3;
}

export function hasBit(bits: Uint8Array, i: number): boolean {
  return (bits[i >>> 3]! & (0x80 >>> (i & 7))) !== 0;
}

export function setBit(bits: Uint8Array, i: number): void {
  bits[i >>> 3]! |= 0x80 >>> (i & 7);
}

export function clearBit(bits: Uint8Array, i: number): void {
  bits[i >>> 3]! &= ~(0x80 >>> (i & 7));
}

/** A copy of `bits` with the spare bits past `bitCount` cleared. */
export function maskedCopy(bits: Uint8Array, bitCount: number): Uint8Array {
  const out = Uint8Array.from(bits);
  const spare = out.length * 8 - bitCount;
  if (spare > 0 && out.length > 0) out[out.length - 1]! &= (0xff << spare) & 0xff;
  return out;
}

export function popcount(bits: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i]!;
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}
