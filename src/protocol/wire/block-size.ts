/**
 * The BitTorrent block: what one `request` asks for and one `piece` message carries. 16 KiB is what
 * every client sends and what most refuse to exceed; only the last block of a piece is shorter.
 */
export const BLOCK_SIZE = 16384;
