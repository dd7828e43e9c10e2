import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { byteLength, hasBit, hasSpareBits, setBit } from '../util/bits.js';
import { FileLayout } from './file-layout.js';
import { toStorageError, type FileStat } from './storage.js';

/**
 * Resume data: which pieces were verified, and the size and mtime of each file when that was true.
 * If every file still has the same size and mtime, the pieces can be trusted without re-hashing.
 * Save it after `storage.flush()`, with `storage.stat()` taken after the flush.
 *
 * Stored as one JSON object (doubles, such as fractional mtimes, survive JSON exactly):
 * `{ "format": "actorrent-resume", "version": 1, "infoHash": hex, "have": base64 bitfield,
 *    "files": [[size, mtimeMs] | null, ...] }`.
 */
export interface ResumeData {
  infoHash: Uint8Array;
  /** Verified pieces, in the bitfield layout of checkExisting(). */
  have: Uint8Array;
  /** storage.stat() when `have` was saved. */
  files: FileStat[];
}

export type LoadedResume = { ok: true; resume: ResumeData } | { ok: false; reason: string };

const FORMAT = 'actorrent-resume';
const VERSION = 1;
/** Far above the ~30 MB of a torrent with a million files; anything bigger is not ours. */
const MAX_BYTES = 256 * 1024 * 1024;

/** Writes resume data atomically: to a temporary file beside it, synced, then renamed over it. */
export async function saveResume(file: string, data: ResumeData): Promise<void> {
  const json = JSON.stringify({
    format: FORMAT,
    version: VERSION,
    infoHash: Buffer.from(data.infoHash).toString('hex'),
    have: Buffer.from(data.have).toString('base64'),
    files: data.files.map((f) => (f === undefined ? null : [f.size, f.mtimeMs])),
  });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(json);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw toStorageError(err, `save resume data to ${file}`);
  }
}

/**
 * Reads resume data. A missing, unreadable or malformed file, or one for another torrent (when
 * `expect` is given), is reported with a reason and never throws: the caller then does a full check.
 */
export async function loadResume(
  file: string,
  expect?: { infoHash: Uint8Array; pieceCount: number; fileCount: number },
): Promise<LoadedResume> {
  let text: string;
  try {
    if ((await stat(file)).size > MAX_BYTES) return bad(`${file} is too large to be resume data`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return bad(code === 'ENOENT' ? `no resume data at ${file}` : `cannot read ${file}: ${code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad(`${file} is not valid JSON`);
  }
  const parsed = parse(value);
  if (typeof parsed === 'string') return bad(`${file}: ${parsed}`);
  if (expect !== undefined) {
    if (!Buffer.from(parsed.infoHash).equals(Buffer.from(expect.infoHash))) return bad(`${file} is for another torrent`);
    if (parsed.have.length !== byteLength(expect.pieceCount) || hasSpareBits(parsed.have, expect.pieceCount)) {
      return bad(`${file} does not have one bit per piece of the ${expect.pieceCount}`);
    }
    if (parsed.files.length !== expect.fileCount) return bad(`${file} lists ${parsed.files.length} files, not ${expect.fileCount}`);
  }
  return { ok: true, resume: parsed };
}

/** True when every file has the size and mtime recorded in the resume data (a missing file must still be missing). */
export function resumeIsValid(resume: ResumeData, current: FileStat[]): boolean {
  if (resume.files.length !== current.length) return false;
  return resume.files.every((saved, i) => {
    const now = current[i];
    if (saved === undefined || now === undefined) return saved === now;
    return saved.size === now.size && saved.mtimeMs === now.mtimeMs;
  });
}

/**
 * When some files changed since the resume data was saved: the claimed pieces that lie wholly in
 * files that did not change (same size and mtime; padding files count as unchanged), in the same
 * bitfield layout. Those bytes are as they were when the pieces verified, so only the other pieces
 * need hashing (as Transmission trusts per file). A piece touching any changed file is left out.
 */
export function piecesInUnchangedFiles(resume: ResumeData, current: FileStat[], meta: Pick<Metainfo, 'files' | 'pieceLength' | 'pieceCount'>): Uint8Array {
  const known = new Uint8Array(byteLength(meta.pieceCount));
  if (resume.files.length !== current.length || current.length !== meta.files.length) return known;
  const changed = new Uint8Array(meta.pieceCount);
  const layout = new FileLayout(meta.files);
  meta.files.forEach((file, i) => {
    const saved = resume.files[i];
    const now = current[i];
    const same = saved === undefined || now === undefined ? saved === now : saved.size === now.size && saved.mtimeMs === now.mtimeMs;
    if (same || file.padding) return;
    const pieces = layout.piecesOfFile(i, meta.pieceLength);
    if (pieces) changed.fill(1, pieces.first, pieces.last + 1);
  });
  for (let i = 0; i < meta.pieceCount; i++) if (changed[i] === 0 && hasBit(resume.have, i)) setBit(known, i);
  return known;
}

function parse(value: unknown): ResumeData | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.format !== FORMAT) return 'not actorrent resume data';
  if (v.version !== VERSION) return `resume data version ${String(v.version)} is not ${VERSION}`;
  if (typeof v.infoHash !== 'string' || !/^[0-9a-f]{40}$/.test(v.infoHash)) return 'infoHash is not 40 hex digits';
  if (typeof v.have !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.have) || v.have.length % 4 !== 0) return 'have is not base64';
  if (!Array.isArray(v.files)) return 'files is not a list';
  const files: FileStat[] = [];
  for (const entry of v.files as unknown[]) {
    if (entry === null) {
      files.push(undefined);
      continue;
    }
    if (!Array.isArray(entry) || entry.length !== 2) return 'a file entry is not [size, mtime]';
    const [size, mtimeMs] = entry as unknown[];
    if (!Number.isSafeInteger(size) || (size as number) < 0 || typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) {
      return 'a file entry has a bad size or mtime';
    }
    files.push({ size: size as number, mtimeMs });
  }
  return { infoHash: Buffer.from(v.infoHash, 'hex'), have: Buffer.from(v.have, 'base64'), files };
}

function bad(reason: string): LoadedResume {
  return { ok: false, reason };
}
