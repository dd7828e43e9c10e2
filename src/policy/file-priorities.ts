import type { PiecePriority } from './piece-picker.js';

/**
 * Each piece's priority from its files' (Transmission's low -1, normal 0, high 1): a piece shared by
 * several files takes the highest of its wanted files, so a high file's first and last pieces are not
 * held back by a low neighbour (Transmission and libtorrent do the same). Pieces of unwanted files
 * only are left normal: they are never fetched anyway.
 */
export interface FilePieces {
  firstPiece: number;
  /** Exclusive. */
  endPiece: number;
}

/** Per-piece priorities, or undefined when every wanted file is normal (nothing to steer). */
export function piecePriorities(pieceCount: number, files: readonly FilePieces[], wanted: readonly boolean[], priorities: readonly number[]): Int8Array | undefined {
  const NONE = -128;
  const out = new Int8Array(pieceCount).fill(NONE);
  let steered = false;
  files.forEach((file, i) => {
    if (wanted[i] === false) return;
    const priority = clampPriority(priorities[i] ?? 0);
    if (priority !== 0) steered = true;
    for (let piece = file.firstPiece; piece < file.endPiece; piece++) if (priority > out[piece]!) out[piece] = priority;
  });
  if (!steered) return undefined;
  for (let piece = 0; piece < pieceCount; piece++) if (out[piece] === NONE) out[piece] = 0;
  return out;
}

function clampPriority(priority: number): PiecePriority {
  return Math.sign(priority) as PiecePriority;
}
