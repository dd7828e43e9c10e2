import { NODE_ID_BYTES } from '../protocol/krpc/index.js';

/*
 * The Kademlia metric over 160-bit ids (BEP 5): distance(a, b) = a XOR b, read as an unsigned
 * big-endian integer. Compared byte by byte, nothing allocated.
 */

export const ID_BITS = NODE_ID_BYTES * 8;

/** Negative when `a` is closer to `target` than `b`, positive when farther, 0 when equally close. */
export function compareDistance(a: Uint8Array, b: Uint8Array, target: Uint8Array): number {
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/** How many leading bits `a` and `b` share (160 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** The XOR distance itself (for display and tests). */
export function distance(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(NODE_ID_BYTES);
  for (let i = 0; i < NODE_ID_BYTES; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function randomId(rng: () => number): Buffer {
  const id = Buffer.alloc(NODE_ID_BYTES);
  for (let i = 0; i < NODE_ID_BYTES; i++) id[i] = Math.floor(rng() * 256);
  return id;
}

/**
 * A random id sharing exactly `prefixBits` leading bits with `self` (the next bit differs), the
 * target of a refresh of the bucket at that depth; with `atLeast`, at least that many (the last bucket).
 */
export function randomIdWithPrefix(self: Uint8Array, prefixBits: number, rng: () => number, atLeast = false): Buffer {
  const id = randomId(rng);
  const bits = Math.min(prefixBits, ID_BITS);
  for (let bit = 0; bit < bits; bit++) copyBit(self, id, bit);
  if (!atLeast && bits < ID_BITS) {
    const byte = bits >> 3;
    const mask = 0x80 >> (bits & 7);
    id[byte] = (id[byte]! & ~mask) | (~self[byte]! & mask);
  }
  return id;
}

function copyBit(from: Uint8Array, to: Uint8Array, bit: number): void {
  const byte = bit >> 3;
  const mask = 0x80 >> (bit & 7);
  to[byte] = (to[byte]! & ~mask) | (from[byte]! & mask);
}
