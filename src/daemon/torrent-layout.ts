import { type Metainfo, pieceSize } from '../protocol/metainfo/index.js';
import { byteLength, hasBit, setBit } from '../util/bits.js';

/**
 * Byte counts of a torrent from its metainfo, the pieces we have and the files wanted: pure, so a
 * stopped torrent (no TorrentHandle running) is reported exactly like a running one.
 * Padding files (BEP 47) are left out of the file list, as Transmission does.
 */
export interface FileSpan {
  /** Index in Transmission's numbering: the torrent's files without padding. */
  index: number;
  path: string[];
  length: number;
  offset: number;
  firstPiece: number;
  /** Exclusive, as Transmission's `end_piece`. */
  endPiece: number;
}

export function fileSpans(meta: Metainfo): FileSpan[] {
  const spans: FileSpan[] = [];
  for (const file of meta.files) {
    if (file.padding) continue;
    const firstPiece = Math.floor(file.offset / meta.pieceLength);
    const endPiece = file.length === 0 ? firstPiece : Math.floor((file.offset + file.length - 1) / meta.pieceLength) + 1;
    spans.push({ index: spans.length, path: file.path, length: file.length, offset: file.offset, firstPiece, endPiece });
  }
  return spans;
}

/** Bytes of each file inside pieces we have. */
export function fileBytesDone(meta: Metainfo, spans: readonly FileSpan[], have: Uint8Array): number[] {
  return spans.map((span) => {
    let done = 0;
    for (let i = span.firstPiece; i < span.endPiece; i++) {
      if (!hasBit(have, i)) continue;
      const start = Math.max(span.offset, i * meta.pieceLength);
      const end = Math.min(span.offset + span.length, i * meta.pieceLength + pieceSize(meta, i));
      done += end - start;
    }
    return done;
  });
}

/** Bytes in verified pieces (Transmission's `have_valid`). */
export function haveBytes(meta: Metainfo, have: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < meta.pieceCount; i++) if (hasBit(have, i)) total += pieceSize(meta, i);
  return total;
}

/** The pieces to fetch for these wanted files, or undefined when every file is wanted (no selection). */
export function wantedPieces(meta: Metainfo, spans: readonly FileSpan[], wanted: readonly boolean[]): Uint8Array | undefined {
  if (spans.every((span) => wanted[span.index] !== false)) return undefined;
  const bits = new Uint8Array(byteLength(meta.pieceCount));
  for (const span of spans) {
    if (wanted[span.index] === false) continue;
    for (let i = span.firstPiece; i < span.endPiece; i++) setBit(bits, i);
  }
  return bits;
}

export interface ByteProgress {
  /** Bytes of the wanted files (`size_when_done`). */
  sizeWhenDone: number;
  /** Of those, not yet verified (`left_until_done`). */
  leftUntilDone: number;
  haveValid: number;
  /** Bytes done per file. */
  fileDone: number[];
}

export function byteProgress(meta: Metainfo, spans: readonly FileSpan[], have: Uint8Array, wanted: readonly boolean[]): ByteProgress {
  const fileDone = fileBytesDone(meta, spans, have);
  let sizeWhenDone = 0;
  let leftUntilDone = 0;
  for (const span of spans) {
    if (wanted[span.index] === false) continue;
    sizeWhenDone += span.length;
    leftUntilDone += span.length - fileDone[span.index]!;
  }
  return { sizeWhenDone, leftUntilDone, haveValid: haveBytes(meta, have), fileDone };
}
