import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { MetainfoError } from '../protocol/metainfo/types.js';
import { PieceHasher, choosePieceLength, encodeTorrent } from '../protocol/metainfo/create.js';

export interface CreateOptions {
  trackers?: string[];
  webSeeds?: string[];
  pieceLength?: number;
  private?: boolean;
  comment?: string;
  createdBy?: string;
  /** Seconds since the epoch; default now. `null` leaves it out. */
  creationDate?: number | null;
  /** Called with bytes hashed so far, for progress. */
  onProgress?: (hashed: number, total: number) => void;
}

export interface CreatedTorrent {
  torrent: Buffer;
  skipped: string[];
}

/**
 * Makes a .torrent of a file or a folder. Files are read as streams, so memory does not grow with
 * their size. In a folder, only regular files are taken (symlinks and special files are skipped and
 * reported) and they are ordered by their full relative path, byte by byte, as mktorrent orders them.
 */
export async function createTorrentFromPath(target: string, options: CreateOptions = {}): Promise<CreatedTorrent> {
  const root = path.resolve(target);
  const stats = await lstat(root);
  const name = path.basename(root);
  const skipped: string[] = [];
  let files: { path: string[]; length: number; absolute: string }[];
  if (stats.isFile()) {
    files = [{ path: [name], length: stats.size, absolute: root }];
  } else if (stats.isDirectory()) {
    files = await listFiles(root, skipped);
    if (files.length === 0) throw new MetainfoError('no-files', `${target} holds no files`);
  } else {
    throw new MetainfoError('no-files', `${target} is neither a file nor a folder`);
  }
  const total = files.reduce((sum, f) => sum + f.length, 0);
  if (total === 0) throw new MetainfoError('invalid-length', `nothing to share: ${target} is empty`);
  const pieceLength = options.pieceLength ?? choosePieceLength(total);
  const hasher = new PieceHasher(pieceLength);
  let hashed = 0;
  for (const file of files) {
    let read = 0;
    for await (const chunk of createReadStream(file.absolute, { highWaterMark: 1024 * 1024 })) {
      hasher.push(chunk as Buffer);
      read += (chunk as Buffer).length;
      hashed += (chunk as Buffer).length;
      options.onProgress?.(hashed, total);
    }
    if (read !== file.length) throw new MetainfoError('invalid-length', `${file.absolute} changed size while it was being read`);
  }
  const torrent = encodeTorrent({
    name,
    files: files.map((f) => ({ path: f.path, length: f.length })),
    multiFile: stats.isDirectory(),
    pieceLength,
    pieces: hasher.finish(),
    trackers: options.trackers,
    webSeeds: options.webSeeds,
    private: options.private,
    comment: options.comment,
    createdBy: options.createdBy,
    creationDate: options.creationDate === null ? undefined : (options.creationDate ?? Math.floor(Date.now() / 1000)),
  });
  return { torrent, skipped };
}

async function listFiles(root: string, skipped: string[]) {
  const found: { path: string[]; length: number; absolute: string }[] = [];
  const walk = async (dir: string, relative: string[]) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolute = path.join(dir, entry.name);
      const rel = [...relative, entry.name];
      if (entry.isDirectory()) await walk(absolute, rel);
      else if (entry.isFile()) found.push({ path: rel, length: (await lstat(absolute)).size, absolute });
      else skipped.push(rel.join('/'));
    }
  };
  await walk(root, []);
  found.sort((a, b) => Buffer.compare(Buffer.from(a.path.join('/')), Buffer.from(b.path.join('/'))));
  return found;
}
