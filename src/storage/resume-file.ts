import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { FsStorage } from './fs-storage.js';
import { popcount } from '../util/bits.js';
import { loadResume, piecesInUnchangedFiles, resumeIsValid, saveResume } from './resume.js';

/**
 * Where resume data is kept: `DIR/.actorrent/<infohash>.resume`, beside the download (DIR is
 * `-o`), so a download folder carries its own state and two folders never share it.
 */
export function resumePath(downloadDir: string, meta: Metainfo): string {
  return path.join(downloadDir, '.actorrent', `${meta.infoHashHex}.resume`);
}

export type ResumeVerdict =
  | { trusted: true; have: Uint8Array }
  /** `known`: the claimed pieces wholly in files that did not change, which need no hashing. */
  | { trusted: false; reason: string; known?: Uint8Array };

/**
 * The pieces saved last time, if every file still has the size and mtime recorded with them; when
 * only some files changed, the claimed pieces of the others (`known`), so only the rest is hashed.
 */
export async function readTrustedHave(downloadDir: string, meta: Metainfo, file = resumePath(downloadDir, meta)): Promise<ResumeVerdict> {
  const loaded = await loadResume(file, {
    infoHash: meta.infoHash,
    pieceCount: meta.pieceCount,
    fileCount: meta.files.length,
  });
  if (!loaded.ok) return { trusted: false, reason: loaded.reason };
  const current = await statFiles(downloadDir, meta);
  if (!resumeIsValid(loaded.resume, current)) {
    const known = piecesInUnchangedFiles(loaded.resume, current, meta);
    const count = popcount(known, meta.pieceCount);
    const reason = 'files changed since the resume data was saved';
    if (count === 0) return { trusted: false, reason };
    return { trusted: false, reason: `${reason}; ${count} piece${count === 1 ? '' : 's'} in unchanged files kept, the rest checked`, known };
  }
  return { trusted: true, have: loaded.resume.have };
}

/** Saves `have` with the files' size and mtime now (in `file`, by default beside the data): call it after the torrent's storage is flushed and closed. */
export async function writeResume(downloadDir: string, meta: Metainfo, have: Uint8Array, file = resumePath(downloadDir, meta)): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await saveResume(file, { infoHash: meta.infoHash, have, files: await statFiles(downloadDir, meta) });
}

async function statFiles(downloadDir: string, meta: Metainfo) {
  const storage = new FsStorage(meta, downloadDir);
  try {
    return await storage.stat();
  } finally {
    await storage.close();
  }
}
