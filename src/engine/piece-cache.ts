import { type PieceLayout, pieceSize } from '../protocol/metainfo/index.js';

/**
 * Serving blocks one 16 KiB read at a time costs a disk round trip per block. Peers ask for a
 * piece's blocks one after the other, so we read the whole piece once and answer its other blocks
 * from memory. A few pieces are kept, least recently used first out, within a byte budget; pieces
 * bigger than the budget are read block by block.
 */
export class PieceCache {
  private readonly pieces = new Map<number, Promise<Buffer>>();
  private bytes = 0;
  private readonly layout: PieceLayout;

  constructor(
    private readonly geometry: { pieceLength: number; pieceCount: number; totalLength: number },
    private readonly readRange: (offset: number, length: number) => Promise<Buffer>,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {
    this.layout = { pieceCount: geometry.pieceCount, pieceLength: geometry.pieceLength, length: geometry.totalLength };
  }

  /** Bytes [offset, offset+length) of the torrent, where the range lies inside one piece. */
  async read(offset: number, length: number): Promise<Buffer> {
    const { pieceLength } = this.geometry;
    const index = Math.floor(offset / pieceLength);
    const begin = offset - index * pieceLength;
    const size = this.pieceSize(index);
    if (size > this.maxBytes || begin + length > size) return this.readRange(offset, length);
    let piece = this.pieces.get(index);
    if (piece) {
      this.pieces.delete(index); // most recently used goes last
      this.pieces.set(index, piece);
    } else {
      piece = this.readRange(index * pieceLength, size);
      this.pieces.set(index, piece);
      this.bytes += size;
      piece.catch(() => this.drop(index));
      this.evict();
    }
    return (await piece).subarray(begin, begin + length);
  }

  private pieceSize(index: number): number {
    return pieceSize(this.layout, index);
  }

  private drop(index: number): void {
    if (this.pieces.delete(index)) this.bytes -= this.pieceSize(index);
  }

  private evict(): void {
    for (const index of this.pieces.keys()) {
      if (this.bytes <= this.maxBytes) return;
      this.drop(index);
    }
  }
}
