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

/**
 * The one buffer `blocks` are consecutive views of (a piece assembled in one buffer), or undefined:
 * such a piece is written with one plain write instead of a writev of its blocks.
 */
export function contiguousView(blocks: readonly Buffer[]): Buffer | undefined {
  const first = blocks[0];
  if (!first) return undefined;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.buffer !== first.buffer || block.byteOffset !== end) return undefined;
    end += block.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}
