import type { TestContext } from 'node:test';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Metainfo, TorrentFile } from '../../src/protocol/metainfo/index.js';

export interface FileSpec {
  path: string[];
  length: number;
  padding?: boolean;
  symlinkTarget?: string[];
}

/**
 * A Metainfo built by hand (bypassing the parser and its sanitiser on purpose) with deterministic
 * content: padding bytes are zeros, every other byte a function of its offset and `seed`.
 */
export function makeTorrent(files: FileSpec[], pieceLength: number, seed = 1): { meta: Metainfo; data: Buffer } {
  let offset = 0;
  const laidOut: TorrentFile[] = files.map((f) => {
    const file: TorrentFile = { path: f.path, length: f.length, offset, padding: f.padding ?? false, executable: false, hidden: false };
    if (f.symlinkTarget) file.symlinkTarget = f.symlinkTarget;
    offset += f.length;
    return file;
  });
  const data = Buffer.alloc(offset);
  for (const file of laidOut) {
    if (file.padding) continue;
    for (let i = file.offset; i < file.offset + file.length; i++) data[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  }
  const pieceCount = Math.ceil(offset / pieceLength);
  const hashes: Buffer[] = [];
  for (let i = 0; i < pieceCount; i++) hashes.push(createHash('sha1').update(data.subarray(i * pieceLength, (i + 1) * pieceLength)).digest());
  const infoHash = createHash('sha1').update(`test-${seed}-${offset}-${pieceLength}`).digest();
  const meta: Metainfo = {
    infoHash,
    infoHashHex: infoHash.toString('hex'),
    infoBytes: Buffer.alloc(0),
    name: files[0]?.path[0] ?? 'torrent',
    pieceLength,
    pieceCount,
    pieceHashes: Buffer.concat(hashes),
    length: offset,
    files: laidOut,
    multiFile: files.length > 1,
    private: false,
    announce: [],
    urlList: [],
    nodes: [],
    hybrid: false,
    warnings: [],
  };
  return { meta, data };
}

/** A multi-file layout with everything awkward: nested folders, zero-length files first, in the middle and last, padding, a short last piece. */
export function awkwardTorrent(seed = 1) {
  return makeTorrent(
    [
      { path: ['multi', 'empty-first'], length: 0 },
      { path: ['multi', 'a.bin'], length: 1000 },
      { path: ['multi', '.pad', '24'], length: 24, padding: true },
      { path: ['multi', 'sub', 'b.bin'], length: 300 },
      { path: ['multi', 'sub', 'deeper', 'empty-middle'], length: 0 },
      { path: ['multi', 'sub', 'deeper', 'c.bin'], length: 5 },
      { path: ['multi', 'd.bin'], length: 2000 },
      { path: ['multi', 'link'], length: 0, symlinkTarget: ['a.bin'] },
      { path: ['multi', 'z', 'empty-last'], length: 0 },
    ],
    256,
    seed,
  );
}

export function tempDir(t: TestContext, prefix = 'actorrent-storage-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes the torrent's files under `dir` with plain fs (no padding files), except those in `skip`. */
export function writeFilesDirectly(dir: string, meta: Metainfo, data: Buffer, skip: number[] = []): void {
  for (const [index, file] of meta.files.entries()) {
    if (file.padding || file.symlinkTarget || skip.includes(index)) continue;
    const target = path.join(dir, ...file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data.subarray(file.offset, file.offset + file.length));
  }
}

/** Piece indexes set in a bitfield-layout bit array. */
export function setBits(have: Uint8Array, pieceCount: number): number[] {
  const result: number[] = [];
  for (let i = 0; i < pieceCount; i++) if ((have[i >> 3]! & (0x80 >> (i & 7))) !== 0) result.push(i);
  return result;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
