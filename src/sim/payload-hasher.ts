import { type Hasher, inlineHasher } from '../env/hasher.js';
import { pieceHash } from '../protocol/metainfo/index.js';
import { pieceRange } from '../storage/file-layout.js';
import type { SimPayload } from './payload.js';

/**
 * The simulator's hasher: `inlineHasher` (on the calling thread, so verdicts come in simulated
 * time), plus a shortcut for pieces held in memory. The simulator knows its payload: a piece whose
 * bytes equal that piece of the payload has the hash the metainfo was made from, and comparing
 * bytes costs a small part of hashing them (30 leechers of 64 MiB would hash 2 GiB). A piece with
 * any other bytes — a corrupted block, a liar's — gets no shortcut and is hashed for real.
 */
export function payloadHasher(payload: SimPayload): Hasher {
  const { bytes, meta } = payload;
  return {
    ...inlineHasher,
    knownDigest(index, chunks) {
      if (index < 0 || index >= meta.pieceCount) return undefined;
      const { offset, length } = pieceRange(meta, index);
      let at = offset;
      for (const chunk of chunks) {
        if (at + chunk.length > offset + length || !chunk.equals(bytes.subarray(at, at + chunk.length))) return undefined;
        at += chunk.length;
      }
      return at === offset + length ? pieceHash(meta, index) : undefined;
    },
  };
}
