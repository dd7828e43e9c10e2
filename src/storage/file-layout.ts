import { pieceSize, type Metainfo } from '../protocol/metainfo/index.js';
import { StorageError } from './storage.js';

/**
 * Pure arithmetic of the torrent byte space: every file laid end to end (padding files included),
 * pieces cut from it at multiples of the piece length.
 */

export interface LayoutFile {
  offset: number;
  length: number;
  padding?: boolean;
}

/** The part of a torrent byte range that falls in one file. Zero-length files never appear. */
export interface FileSegment {
  fileIndex: number;
  /** Position of the segment's first byte inside the file. */
  fileOffset: number;
  /** Position of the segment's first byte in the torrent byte space. */
  offset: number;
  length: number;
  padding: boolean;
}

export class FileLayout {
  readonly length: number;
  /** Offsets and indexes of the non-empty files, ascending: the binary search runs over these. */
  private readonly starts: number[] = [];
  private readonly indexes: number[] = [];

  constructor(private readonly files: readonly LayoutFile[]) {
    let end = 0;
    for (const [index, file] of files.entries()) {
      if (!Number.isSafeInteger(file.length) || file.length < 0 || file.offset !== end) {
        throw new RangeError(`file ${index} does not follow the previous one (offset ${file.offset}, expected ${end})`);
      }
      if (file.length > 0) {
        this.starts.push(file.offset);
        this.indexes.push(index);
      }
      end += file.length;
    }
    this.length = end;
  }

  /** Throws StorageError `out-of-range` unless [offset, offset+length) lies inside the torrent. */
  checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.length) {
      throw new StorageError('out-of-range', `bytes ${offset}+${length} are outside the torrent's ${this.length} bytes`);
    }
  }

  /** The files under [offset, offset+length), in order; empty for an empty range. */
  segments(offset: number, length: number): FileSegment[] {
    this.checkRange(offset, length);
    const result: FileSegment[] = [];
    if (length === 0) return result;
    const end = offset + length;
    for (let k = this.slotAt(offset); k < this.starts.length && this.starts[k]! < end; k++) {
      const fileIndex = this.indexes[k]!;
      const file = this.files[fileIndex]!;
      const from = Math.max(offset, file.offset);
      const to = Math.min(end, file.offset + file.length);
      result.push({ fileIndex, fileOffset: from - file.offset, offset: from, length: to - from, padding: file.padding === true });
    }
    return result;
  }

  /** Index of the file holding byte `offset` (never a zero-length file). */
  fileAt(offset: number): number {
    this.checkRange(offset, 1);
    return this.indexes[this.slotAt(offset)]!;
  }

  /** Pieces holding at least one byte of the file; undefined for a zero-length file. */
  piecesOfFile(fileIndex: number, pieceLength: number): { first: number; last: number } | undefined {
    const file = this.files[fileIndex];
    if (file === undefined) throw new RangeError(`no file ${fileIndex}`);
    if (file.length === 0) return undefined;
    return { first: Math.floor(file.offset / pieceLength), last: Math.floor((file.offset + file.length - 1) / pieceLength) };
  }

  /** The last non-empty file starting at or before `offset` (binary search). */
  private slotAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The torrent byte range of piece `index`; the last piece may be shorter. */
export function pieceRange(meta: Pick<Metainfo, 'pieceLength' | 'pieceCount' | 'length'>, index: number): { offset: number; length: number } {
  if (!Number.isSafeInteger(index) || index < 0 || index >= meta.pieceCount) {
    throw new StorageError('out-of-range', `piece ${index} is outside the torrent's ${meta.pieceCount} pieces`);
  }
  return { offset: index * meta.pieceLength, length: pieceSize(meta, index) };
}
