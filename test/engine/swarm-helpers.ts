import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Metainfo, parseTorrent } from '../../src/protocol/metainfo/index.js';
import { Session } from '../../src/session.js';
import { createTorrentFromPath } from '../../src/storage/create-torrent.js';

/** A temporary folder with a payload (one file or a tree) and its torrent; removed by cleanup(). */
export async function makePayload(options: { multiFile: boolean; size: number; pieceLength: number; trackers?: string[] }) {
  const root = mkdtempSync(path.join(tmpdir(), 'actorrent-swarm-'));
  const seedDir = path.join(root, 'seed');
  mkdirSync(seedDir);
  const files: { rel: string; data: Buffer }[] = [];
  let target: string;
  if (options.multiFile) {
    target = path.join(seedDir, 'album');
    const third = Math.floor(options.size / 3);
    files.push(
      { rel: 'album/a/deep/one.bin', data: randomBytes(third) },
      { rel: 'album/empty.txt', data: Buffer.alloc(0) },
      { rel: 'album/b/two.bin', data: randomBytes(third + 777) },
      { rel: 'album/three.bin', data: randomBytes(options.size - 2 * third - 777) },
    );
  } else {
    target = path.join(seedDir, 'payload.bin');
    files.push({ rel: 'payload.bin', data: randomBytes(options.size) });
  }
  for (const f of files) {
    mkdirSync(path.dirname(path.join(seedDir, f.rel)), { recursive: true });
    writeFileSync(path.join(seedDir, f.rel), f.data);
  }
  const { torrent } = await createTorrentFromPath(target, { pieceLength: options.pieceLength, trackers: options.trackers });
  const meta = parseTorrent(torrent);
  const torrentFile = path.join(root, `${meta.name}.torrent`);
  writeFileSync(torrentFile, torrent);
  return {
    root,
    seedDir,
    meta,
    /** The .torrent, also written to `torrentFile` (for the CLI and real clients). */
    torrent,
    torrentFile,
    files,
    /** Every file of the payload is byte-identical under `dir`. */
    assertSame(dir: string) {
      for (const f of files) {
        const got = readFileSync(path.join(dir, f.rel));
        if (!got.equals(f.data)) throw new Error(`${f.rel} differs under ${dir}`);
      }
    },
    dir(name: string) {
      const d = path.join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export async function startSession(): Promise<Session> {
  const session = new Session({ host: '127.0.0.1', port: 0 });
  await session.listen();
  return session;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export type { Metainfo };
