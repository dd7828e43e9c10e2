export * from './types.js';
export { parseTorrent } from './parse.js';
export { sanitizeComponent } from './path-sanitizer.js';
export { PieceHasher, choosePieceLength, encodeTorrent, type NewTorrent } from './create.js';
