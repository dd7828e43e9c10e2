import { pieceSize } from '../protocol/metainfo/index.js';
import { BLOCK_SIZE } from '../protocol/wire/index.js';

/**
 * Block math for one torrent: pieces of `pieceLength` bytes (the last one may be short), each cut into
 * blocks of `blockSize` bytes (the last block of a piece may be short). Pure arithmetic, no state.
 */

export interface TorrentGeometry {
  pieceCount: number;
  pieceLength: number;
  totalLength: number;
  blockSize?: number;
}

/** A request for one block, as it goes on the wire. */
export interface BlockRequest {
  index: number;
  begin: number;
  length: number;
}

function isWhole(n: number, min: number): boolean {
  return Number.isSafeInteger(n) && n >= min;
}

export class BlockLayout {
  readonly pieceCount: number;
  readonly pieceLength: number;
  readonly totalLength: number;
  readonly blockSize: number;
  /** Blocks in a full piece; also the stride of block keys. */
  readonly blocksPerPiece: number;
  readonly lastPieceLength: number;

  constructor({ pieceCount, pieceLength, totalLength, blockSize = BLOCK_SIZE }: TorrentGeometry) {
    if (!isWhole(pieceLength, 1)) throw new RangeError(`pieceLength must be a positive integer, got ${pieceLength}`);
    if (!isWhole(blockSize, 1)) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
    if (!isWhole(totalLength, 0)) throw new RangeError(`totalLength must be a non-negative integer, got ${totalLength}`);
    if (!isWhole(pieceCount, 0) || pieceCount !== Math.ceil(totalLength / pieceLength)) {
      throw new RangeError(`pieceCount ${pieceCount} does not match totalLength ${totalLength} / pieceLength ${pieceLength}`);
    }
    this.pieceCount = pieceCount;
    this.pieceLength = pieceLength;
    this.totalLength = totalLength;
    this.blockSize = blockSize;
    this.blocksPerPiece = Math.ceil(pieceLength / blockSize);
    this.lastPieceLength = pieceCount === 0 ? 0 : pieceSize({ pieceCount, pieceLength, length: totalLength }, pieceCount - 1);
  }

  /** Length of piece `piece` in bytes. */
  pieceSize(piece: number): number {
    this.checkPiece(piece);
    return piece === this.pieceCount - 1 ? this.lastPieceLength : this.pieceLength;
  }

  /** Number of blocks in piece `piece`. */
  blockCount(piece: number): number {
    return Math.ceil(this.pieceSize(piece) / this.blockSize);
  }

  /** Length of block `block` of piece `piece` in bytes. */
  blockLength(piece: number, block: number): number {
    const size = this.pieceSize(piece);
    const begin = block * this.blockSize;
    if (!Number.isInteger(block) || block < 0 || begin >= size) throw new RangeError(`block ${block} out of range for piece ${piece}`);
    return Math.min(this.blockSize, size - begin);
  }

  /** The request for block `block` of piece `piece`. */
  request(piece: number, block: number): BlockRequest {
    return { index: piece, begin: block * this.blockSize, length: this.blockLength(piece, block) };
  }

  /** Block number of a request, or -1 if it does not name exactly one of our blocks. */
  blockOf(req: BlockRequest): number {
    const { index, begin, length } = req;
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) return -1;
    if (!Number.isInteger(begin) || begin < 0 || begin % this.blockSize !== 0) return -1;
    const block = begin / this.blockSize;
    const size = this.pieceSize(index);
    if (begin >= size || length !== Math.min(this.blockSize, size - begin)) return -1;
    return block;
  }

  private checkPiece(piece: number): void {
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount) throw new RangeError(`piece ${piece} out of range`);
  }
}
