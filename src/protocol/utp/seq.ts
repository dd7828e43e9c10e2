/*
 * uTP sequence and ack numbers are 16 bits and wrap: 0xffff is followed by 0. Order is decided on
 * the shorter way round the circle (as TCP does with 32 bits), so a window of up to 32 767 packets
 * compares right across the wrap.
 */

export const SEQ_MASK = 0xffff;

export function seqAdd(seq: number, n: number): number {
  return (seq + n) & SEQ_MASK;
}

/** How far `b` is ahead of `a`, in [0, 65535]. */
export function seqDistance(a: number, b: number): number {
  return (b - a) & SEQ_MASK;
}

/** `a` comes before `b` (and they differ). */
export function seqLess(a: number, b: number): boolean {
  const d = (b - a) & SEQ_MASK;
  return d !== 0 && d < 0x8000;
}

/** 32-bit wrapping order, for microsecond timestamps and delays. */
export function u32Less(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x80000000;
}
