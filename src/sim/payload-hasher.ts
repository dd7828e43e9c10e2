import { createHash } from 'node:crypto';
import { type Hasher, inlineHasher } from '../env/hasher.js';
import { pieceHash } from '../protocol/metainfo/index.js';
import { pieceSize } from '../protocol/metainfo/piece-size.js';
import type { SimPayload } from './payload.js';

/**
 * The simulator's hasher: `inlineHasher` (on the calling thread, so verdicts come in simulated
 * time), plus a shortcut for pieces held in memory. Blocks travel the simulator by reference, so a
 * block served from the payload arrives as a view of the payload itself: a piece whose blocks are,
 * in order, views of exactly that piece's bytes of the (never written) payload has the piece hash
 * the metainfo was made from, with no need to hash it again (30 leechers of 64 MiB would hash
 * 2 GiB). Anything else — a copy, a corrupted block, a block from elsewhere — is hashed for real.
 */
export function payloadHasher(payload: SimPayload): Hasher {
  const { bytes, meta } = payload;
  return {
    ...inlineHasher,
    digestNow(chunks) {
      const index = payloadPieceOf(chunks);
      if (index !== undefined) return pieceHash(meta, index);
      const hash = createHash('sha1');
      for (const chunk of chunks) hash.update(chunk);
      return hash.digest();
    },
  };

  /** The piece whose bytes the chunks are views of, end to end; undefined when they are not. */
  function payloadPieceOf(chunks: readonly Buffer[]): number | undefined {
    if (chunks.length === 0 || chunks[0]!.buffer !== bytes.buffer) return undefined;
    const start = chunks[0]!.byteOffset - bytes.byteOffset;
    if (start < 0 || start % meta.pieceLength !== 0) return undefined;
    const index = start / meta.pieceLength;
    let at = chunks[0]!.byteOffset;
    for (const chunk of chunks) {
      if (chunk.buffer !== bytes.buffer || chunk.byteOffset !== at) return undefined;
      at += chunk.length;
    }
    return index < meta.pieceCount && at - chunks[0]!.byteOffset === pieceSize(meta, index) ? index : undefined;
  }
}
