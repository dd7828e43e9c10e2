// Payloads and their torrents, made once per size in the bench's temporary folder and shared by
// every client: the same file, the same .torrent (same piece length) for all.
import { createCipheriv } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { actorrentCommand } from './actorrent.js';
import { run } from './procs.js';

export interface Payload {
  mib: number;
  /** The folder holding `payload.bin`: what every seeder is pointed at. */
  dataDir: string;
  file: string;
  torrent: string;
}

let root: string | undefined;

/** The bench's one temporary folder; everything it writes goes under it. */
export function tempRoot(): string {
  root ??= mkdtempSync(path.join(tmpdir(), 'actorrent-compare-'));
  return root;
}

/** A fresh folder under the temporary root (leecher downloads, scripts). */
export function tempDir(name: string): string {
  return mkdtempSync(path.join(tempRoot(), `${name}-`));
}

export function removeTempRoot(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

const made = new Map<string, Payload>();

/** `mib` MiB of incompressible bytes and a torrent of them; made once per size and piece length. */
export async function payload(mib: number, pieceLength: number): Promise<Payload> {
  const key = `${mib}/${pieceLength}`;
  const known = made.get(key);
  if (known) return known;
  const dir = path.join(tempRoot(), `payload-${mib}MiB-${pieceLength}`);
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'payload.bin');
  await writeNoise(file, mib);
  const torrent = path.join(dir, 'payload.torrent');
  const created = await run(actorrentCommand(['create', file, '-o', torrent, '--piece-length', String(pieceLength), '--no-date']), {
    label: 'actorrent create',
    seconds: 60 + mib / 20,
  });
  if (created.code !== 0) throw new Error(`actorrent create failed (${created.code}): ${created.stderr}`);
  const p = { mib, dataDir, file, torrent };
  made.set(key, p);
  return p;
}

/** AES-CTR over zeros: random-looking bytes at several GB/s, so 4 GiB is quick to make. */
async function writeNoise(file: string, mib: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, mib & 0xff));
  const zeros = Buffer.alloc(1024 * 1024);
  const out = createWriteStream(file);
  for (let i = 0; i < mib; i++) {
    if (!out.write(cipher.update(zeros))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Deletes a payload (gigabytes) once no later case needs it; asking for it again makes it anew. */
export function dropPayload(p: Payload): void {
  for (const [key, known] of made) if (known === p) made.delete(key);
  rmSync(path.dirname(p.dataDir), { recursive: true, force: true });
}

/** Removes what a seeder may have saved (actorrent's resume data), so each run checks the data afresh. */
export function forgetResume(p: Payload): void {
  rmSync(path.join(p.dataDir, '.actorrent'), { recursive: true, force: true });
}
