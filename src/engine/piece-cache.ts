import { type PieceLayout, pieceSize } from '../protocol/metainfo/index.js';
import { PieceBuffers } from './piece-buffers.js';

/**
 * Serving blocks one 16 KiB read at a time costs a disk round trip per block. Peers ask for a
 * piece's blocks one after the other, so we read the whole piece once and answer its other blocks
 * from memory. A few pieces are kept, least recently used first out, within a byte budget; pieces
 * bigger than the budget are read block by block.
 *
 * A fresh buffer per piece read makes V8 run a full garbage collection every few MiB served, so
 * piece buffers are reused: each block handed out pins its piece until `release(block)` (the socket
 * has taken it), and an evicted piece's buffer is read into again once nothing pins it. A block
 * never released only keeps its buffer from being reused (and its piece's entry, until then).
 */
export class PieceCache {
  private readonly pieces = new Map<number, CachedPiece>();
  /** Pinned blocks by the memory they view, to find their piece on release. */
  private readonly byMemory = new Map<ArrayBufferLike, CachedPiece>();
  private bytes = 0;
  private readonly layout: PieceLayout;
  private readonly buffers: PieceBuffers;

  constructor(
    private readonly geometry: { pieceLength: number; pieceCount: number; totalLength: number },
    private readonly readRange: (offset: number, length: number, into?: Buffer) => Promise<Buffer>,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {
    this.layout = { pieceCount: geometry.pieceCount, pieceLength: geometry.pieceLength, length: geometry.totalLength };
    this.buffers = new PieceBuffers(geometry.pieceLength, maxBytes);
  }

  /** Pieces whose buffers this cache still tracks: cached, or evicted with blocks not yet released. */
  get trackedPieces(): number {
    return this.byMemory.size;
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
      piece = this.load(index, size);
    }
    piece.pins++;
    let data: Buffer;
    try {
      data = await piece.data;
    } catch (err) {
      piece.pins--;
      throw err;
    }
    // A storage that answered with memory of its own: nothing of ours to pin.
    if (data.buffer !== piece.buffer.buffer) piece.pins--;
    return data.subarray(begin, begin + length);
  }

  /**
   * A block from read() is no longer needed here. `reusable`: nothing references its memory any
   * more (the socket has taken its bytes, or it was dropped); false when something still may (a
   * uTP socket, which keeps data to resend it): its piece's buffer is then left to the garbage collector.
   */
  release(block: Buffer, reusable = true): void {
    const piece = this.byMemory.get(block.buffer);
    if (!piece || piece.pins === 0) return;
    piece.pins--;
    if (!reusable) piece.reusable = false;
    this.recycleIfFree(piece);
  }

  private load(index: number, size: number): CachedPiece {
    const buffer = this.buffers.take(size);
    const piece: CachedPiece = { index, size, buffer, data: this.readRange(index * this.geometry.pieceLength, size, buffer), pins: 0, evicted: false, reusable: true };
    this.pieces.set(index, piece);
    this.byMemory.set(buffer.buffer, piece);
    this.bytes += size;
    piece.data.catch(() => {
      // A failed read is not cached, and its buffer is not trusted to be free of the read in flight.
      if (this.pieces.get(index) === piece) this.drop(piece);
      this.byMemory.delete(buffer.buffer);
      piece.evicted = true;
    });
    this.evict();
    return piece;
  }

  private pieceSize(index: number): number {
    return pieceSize(this.layout, index);
  }

  private drop(piece: CachedPiece): void {
    this.pieces.delete(piece.index);
    this.bytes -= piece.size;
    piece.evicted = true;
  }

  private recycleIfFree(piece: CachedPiece): void {
    if (!piece.evicted || piece.pins > 0 || !this.byMemory.delete(piece.buffer.buffer)) return;
    if (piece.reusable) this.buffers.give(piece.buffer);
  }

  private evict(): void {
    for (const piece of this.pieces.values()) {
      if (this.bytes <= this.maxBytes) return;
      this.drop(piece);
      // Still being read, or its blocks still on their way out: recycled on the last release.
      void piece.data.then(
        () => this.recycleIfFree(piece),
        () => undefined,
      );
    }
  }
}

interface CachedPiece {
  index: number;
  size: number;
  buffer: Buffer;
  /** Resolves to `buffer` once read. */
  data: Promise<Buffer>;
  /** Blocks handed out and not released. */
  pins: number;
  evicted: boolean;
  /** False once a block of it went to a socket that may still hold it after we are told it is done. */
  reusable: boolean;
}
