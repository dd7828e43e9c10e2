/**
 * Views of `[start, start + length)` of the concatenation of `blocks`, without copying: how a piece
 * held as received blocks is written across file boundaries.
 */
export function sliceBlocks(blocks: readonly Buffer[], start: number, length: number): Buffer[] {
  const slices: Buffer[] = [];
  const end = start + length;
  let at = 0;
  for (const block of blocks) {
    const blockEnd = at + block.length;
    if (blockEnd > start && at < end) slices.push(block.subarray(Math.max(0, start - at), Math.min(block.length, end - at)));
    if (blockEnd >= end) break;
    at = blockEnd;
  }
  return slices;
}

export function totalLength(blocks: readonly Buffer[]): number {
  let length = 0;
  for (const block of blocks) length += block.length;
  return length;
}
