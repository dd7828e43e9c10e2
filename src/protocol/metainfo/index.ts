export * from './types.js';
export { pieceSize, type PieceLayout } from './piece-size.js';
export { parseTorrent } from './parse.js';
export { sanitizeComponent } from './path-sanitizer.js';
export { PieceHasher, choosePieceLength, encodeTorrent, type NewTorrent } from './create.js';
export { torrentFromInfo } from './from-info.js';
