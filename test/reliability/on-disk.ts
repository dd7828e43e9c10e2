import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Metainfo, pieceHash } from '../../src/protocol/metainfo/index.js';
import type { WireTap } from '../../src/engine/peer-wire.js';
import { hasBit } from '../../src/util/bits.js';
import { loadResume } from '../../src/storage/resume.js';

/** What a download folder holds, judged by the test itself: which pieces verify, what resume data claims. */

/** Indexes of the pieces of a single-file torrent whose bytes in `downloadDir` match their hash. */
export function piecesOnDisk(meta: Metainfo, downloadDir: string): Set<number> {
  const file = path.join(downloadDir, meta.name);
  const found = new Set<number>();
  if (!existsSync(file)) return found;
  const data = readFileSync(file);
  for (let i = 0; i < meta.pieceCount; i++) {
    const piece = data.subarray(i * meta.pieceLength, Math.min((i + 1) * meta.pieceLength, meta.length));
    if (piece.length === Math.min(meta.pieceLength, meta.length - i * meta.pieceLength) && createHash('sha1').update(piece).digest().equals(pieceHash(meta, i))) {
      found.add(i);
    }
  }
  return found;
}

/** The pieces the CLI's resume data claims (undefined when there is none); throws if it does not parse. */
export async function resumeClaims(meta: Metainfo, downloadDir: string): Promise<Set<number> | undefined> {
  const file = path.join(downloadDir, '.actorrent', `${meta.infoHashHex}.resume`);
  if (!existsSync(file)) return undefined;
  const loaded = await loadResume(file, { infoHash: meta.infoHash, pieceCount: meta.pieceCount, fileCount: meta.files.length });
  if (!loaded.ok) throw new Error(`resume data is corrupt: ${loaded.reason}`);
  const claims = new Set<number>();
  for (let i = 0; i < meta.pieceCount; i++) if (hasBit(loaded.resume.have, i)) claims.add(i);
  return claims;
}

export function missingFrom(claims: Set<number>, onDisk: Set<number>): number[] {
  return [...claims].filter((i) => !onDisk.has(i));
}

/**
 * The seeder's view of which pieces each downloader run asked for: a Session `wireTap` that files
 * every outgoing `piece` under the run that was current when the connection opened.
 */
export function servedPiecesByRun(currentRun: () => number): { wireTap: () => WireTap; served: Map<number, Set<number>> } {
  const served = new Map<number, Set<number>>();
  const wireTap = (): WireTap => {
    const owner = currentRun();
    return (direction, message) => {
      if (direction !== 'out' || message.type !== 'piece') return;
      let set = served.get(owner);
      if (!set) served.set(owner, (set = new Set()));
      set.add(message.index);
    };
  };
  return { wireTap, served };
}
