import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type RunningDaemon, startDaemon } from '../../src/daemon/run-daemon.js';
import { PieceHasher, encodeTorrent, parseTorrent, type Metainfo } from '../../src/protocol/metainfo/index.js';
import { Session, type TorrentHandle } from '../../src/session.js';
import { startTracker, type RunningTracker } from '../../src/tracker-server.js';
import { allBits } from '../../src/util/bits.js';
import { seededRng } from '../support/fuzz.js';

/**
 * What the daemon tests share: temporary folders, torrents made of seeded random bytes written to
 * disk, an actorrent tracker and seeder on 127.0.0.1, the daemon itself (in this process) and
 * transmission-remote (bounded in time).
 */
export interface FixtureTorrent {
  meta: Metainfo;
  /** The .torrent bytes, and a copy on disk. */
  bytes: Buffer;
  file: string;
  /** Each file's bytes, in torrent order. */
  contents: Buffer[];
}

/** Cleanups run last-in first-out after the test (node:test runs `after` hooks in the order added). */
export function cleanups(t: { after(fn: () => Promise<void>): void }): (fn: () => Promise<unknown> | unknown) => void {
  const stack: (() => Promise<unknown> | unknown)[] = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => void stack.push(fn);
}

export async function tempDir(later: (fn: () => Promise<unknown>) => void, prefix = 'actorrent-daemon-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  later(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function makeTorrent(
  dir: string,
  options: { name: string; files?: number[]; length?: number; pieceLength?: number; trackers?: string[]; seed?: number },
): Promise<FixtureTorrent> {
  const rng = seededRng(options.seed ?? 1);
  const lengths = options.files ?? [options.length ?? 100_000];
  const contents = lengths.map((length) => {
    const b = Buffer.alloc(length);
    for (let i = 0; i < length; i++) b[i] = Math.floor(rng() * 256);
    return b;
  });
  const pieceLength = options.pieceLength ?? 16 * 1024;
  const hasher = new PieceHasher(pieceLength);
  for (const c of contents) hasher.push(c);
  const multiFile = options.files !== undefined;
  const files = multiFile ? lengths.map((length, i) => ({ path: [`file-${i}.bin`], length })) : [{ path: [options.name], length: lengths[0]! }];
  const bytes = encodeTorrent({ name: options.name, files, multiFile, pieceLength, pieces: hasher.finish(), trackers: options.trackers });
  const file = path.join(dir, `${options.name}.torrent`);
  await writeFile(file, bytes);
  return { meta: parseTorrent(bytes), bytes, file, contents };
}

/** Writes the torrent's files under `dir` as a download would leave them. */
export async function writePayload(dir: string, torrent: FixtureTorrent): Promise<void> {
  for (const [i, file] of torrent.meta.files.entries()) {
    const full = path.join(dir, ...file.path);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, torrent.contents[i]!);
  }
}

/** A session on 127.0.0.1 seeding torrents whose data it has on disk (written by writePayload). */
export async function startSeeder(dir: string, torrents: FixtureTorrent[], options: { trackers?: boolean } = {}): Promise<{ session: Session; handles: TorrentHandle[]; close(): Promise<void> }> {
  const session = new Session({ host: '127.0.0.1', port: 0 });
  await session.listen();
  const handles: TorrentHandle[] = [];
  for (const t of torrents) {
    await writePayload(dir, t);
    handles.push(session.add(t.meta, { downloadDir: dir, seed: true, trustedHave: allBits(t.meta.pieceCount), noTrackers: options.trackers === false }));
  }
  await Promise.all(handles.map((h) => h.whenComplete()));
  return { session, handles, close: () => session.close() };
}

export async function startLoopbackTracker(): Promise<RunningTracker> {
  return startTracker({ host: '127.0.0.1', port: 0, udp: false });
}

export interface TestDaemon extends RunningDaemon {
  url: string;
  rpcAddress: string;
  dataDir: string;
  downloadDir: string;
}

export async function startTestDaemon(dir: string, options: { rpcAuth?: string; watchDir?: string } = {}): Promise<TestDaemon> {
  const dataDir = path.join(dir, 'data');
  const downloadDir = path.join(dir, 'downloads');
  const running = await startDaemon({
    dataDir,
    downloadDir,
    peerPort: 0,
    peerHost: '127.0.0.1',
    rpcPort: 0,
    rpcBind: '127.0.0.1',
    rpcAuth: options.rpcAuth,
    watchDir: options.watchDir,
    version: 'test',
    log: () => undefined,
  });
  const rpcAddress = `127.0.0.1:${running.http.port}`;
  return { ...running, url: `http://${rpcAddress}/transmission/rpc`, rpcAddress, dataDir, downloadDir };
}

/** transmission-remote with the given arguments, at most 20 s; its stdout, or a failure with its stderr. */
export function transmissionRemote(address: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('transmission-remote', [address, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`transmission-remote ${args.join(' ')} exited ${code}: ${err}${out}`))));
    child.on('error', reject);
  });
}

/** A classic-form RPC call with the session-id handshake (for tests that check raw answers). */
export async function rawRpc(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const first = await fetch(url, { method: 'POST', body, headers });
  if (first.status !== 409) return { status: first.status, text: await first.text(), headers: first.headers };
  await first.text();
  const sessionId = first.headers.get('x-transmission-session-id') ?? '';
  const res = await fetch(url, { method: 'POST', body, headers: { ...headers, 'X-Transmission-Session-Id': sessionId } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export { seededRng };
