/** What fixes the size of each piece: every piece is `pieceLength` bytes but the last, which holds the rest. */
export interface PieceLayout {
  pieceCount: number;
  pieceLength: number;
  /** Bytes of the whole torrent. */
  length: number;
}

/** Bytes in piece `index`: `pieceLength`, or less for the last piece. */
export function pieceSize(layout: PieceLayout, index: number): number {
  if (index < layout.pieceCount - 1) return layout.pieceLength;
  return layout.length - layout.pieceLength * (layout.pieceCount - 1);
}
