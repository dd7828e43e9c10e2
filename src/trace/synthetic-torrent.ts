import { type Metainfo, PieceHasher, encodeTorrent, parseTorrent, pieceSize } from '../protocol/metainfo/index.js';
import { seededRng } from '../env/rng.js';

/**
 * A stand-in for a traced torrent. A trace keeps only the shape of the torrent (length, piece
 * length) and block hashes, never the data, so replay makes up data of the same shape — each piece
 * generated from its index, so any block can be produced on demand — and a metainfo whose piece
 * hashes are those of the made-up data. Actorrent then verifies every piece as the original run
 * did; the infohash differs, and fake peers speak the new one.
 */
export interface SyntheticTorrent {
  meta: Metainfo;
  /** The bytes of `length` bytes at `begin` in piece `index`. */
  block(index: number, begin: number, length: number): Buffer;
  piece(index: number): Buffer;
}

/** Above this, replay would hold too much in memory (the storage keeps what is downloaded). */
export const MAX_SYNTHETIC_BYTES = 1024 ** 3;

export function syntheticTorrent(shape: { length: number; pieceLength: number }): SyntheticTorrent {
  const { length, pieceLength } = shape;
  if (length <= 0 || length > MAX_SYNTHETIC_BYTES) throw new RangeError(`cannot replay a torrent of ${length} bytes (1 to ${MAX_SYNTHETIC_BYTES})`);
  const pieceCount = Math.ceil(length / pieceLength);
  const make = (index: number) => {
    const rng = seededRng(index + 1);
    const bytes = Buffer.alloc(pieceSize({ pieceCount, pieceLength, length }, index));
    for (let i = 0; i + 4 <= bytes.length; i += 4) bytes.writeUInt32LE(Math.floor(rng() * 2 ** 32), i);
    for (let i = bytes.length - (bytes.length % 4); i < bytes.length; i++) bytes[i] = Math.floor(rng() * 256);
    return bytes;
  };
  const hasher = new PieceHasher(pieceLength);
  for (let i = 0; i < pieceCount; i++) hasher.push(make(i));
  const meta = parseTorrent(encodeTorrent({ name: 'replay.bin', files: [{ path: ['replay.bin'], length }], multiFile: false, pieceLength, pieces: hasher.finish() }));
  // The last few pieces made, as answering a request mostly walks one piece block by block.
  const cache = new Map<number, Buffer>();
  const piece = (index: number) => {
    let bytes = cache.get(index);
    if (!bytes) {
      bytes = make(index);
      cache.set(index, bytes);
      if (cache.size > 8) cache.delete(cache.keys().next().value!);
    }
    return bytes;
  };
  return { meta, piece, block: (index, begin, len) => piece(index).subarray(begin, begin + len) };
}
