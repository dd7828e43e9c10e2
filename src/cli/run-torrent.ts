import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { Session, type TorrentHandle } from '../session.js';
import { FsStorage } from '../storage/fs-storage.js';
import { checkExisting, hasPiece } from '../storage/piece-verifier.js';
import { CliError } from './errors.js';
import { onInterrupt } from './interrupt.js';
import { loadTorrent } from './read-torrent.js';
import { JsonReporter } from './report/json.js';
import type { Reporter } from './report/reporter.js';
import { TextReporter } from './report/text.js';

/**
 * The body of `download` and `seed`: one Session, one torrent, progress reported until the
 * download completes (then exit) or, when seeding, until SIGINT / SIGTERM.
 */
export interface RunTorrentOptions {
  /** `seed` refuses data that is not complete; `download` fetches what is missing. */
  mode: 'download' | 'seed';
  torrentFile: string;
  /** The torrent's files are at `outputDir/<name>`. */
  outputDir: string;
  port: number;
  bind?: string;
  peers: { host: string; port: number }[];
  /** Stay up once complete, seeding until interrupted. */
  keepSeeding: boolean;
  json: boolean;
}

export async function runTorrent(options: RunTorrentOptions): Promise<void> {
  const reporter: Reporter = options.json ? new JsonReporter() : new TextReporter();
  let session: Session | undefined;
  let handle: TorrentHandle | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let interrupted = false;
  // Called from the normal end, from an error and from a signal: runs once.
  const shutdown = () => {
    clearInterval(ticker);
    closing ??= session?.close() ?? Promise.resolve();
    return closing;
  };
  const interrupts = onInterrupt(async (signal) => {
    interrupted = true;
    await shutdown();
    const p = handle?.progress();
    reporter.stopped({ signal, downloaded: p?.downloaded ?? 0, uploaded: p?.uploaded ?? 0 });
  });
  // Whoever read our output has gone (`… | head -1`): stop as a SIGPIPE would, not with a stack trace.
  // Later writes fail the same way while we stop: only the first counts.
  let outputGone = false;
  const onOutputError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' || outputGone) return;
    outputGone = true;
    interrupts.interrupt('SIGPIPE');
  };
  process.stdout.on('error', onOutputError);

  try {
    const meta = await loadTorrent(options.torrentFile);
    const downloadDir = path.resolve(options.outputDir);
    const dataPath = path.join(downloadDir, meta.name);
    if (options.mode === 'download') await ensureWritableFolder(downloadDir);

    session = new Session({ host: options.bind, port: options.port });
    await session.listen().catch((err: unknown) => {
      throw new CliError(messageOf(err));
    });
    let trustedHave: Uint8Array | undefined;
    if (options.mode === 'seed') {
      reporter.checking(dataPath);
      trustedHave = await checkCompleteData(meta, downloadDir, dataPath);
    }

    const torrent = session.add(meta, { downloadDir, seed: options.keepSeeding, peers: options.peers, trustedHave });
    handle = torrent;
    const startedAt = performance.now();
    torrent.events$.subscribe((event) => reporter.event(event));
    const failed = firstValueFrom(torrent.events$.pipe(filter((e) => e.type === 'failed'))).then((e) => {
      throw new CliError(`${options.mode} failed: ${'message' in e ? e.message : 'unknown error'}`);
    });
    failed.catch(() => undefined); // observed below, or not at all if we end first
    reporter.started({ mode: options.mode, port: session.port, name: meta.name, length: meta.length, pieces: meta.pieceCount, dataPath });
    ticker = setInterval(() => reporter.progress(torrent.progress()), reporter.progressIntervalMs);

    await Promise.race([torrent.whenComplete(), failed]).catch((err: unknown) => {
      throw err instanceof CliError ? err : new CliError(`${options.mode} failed: ${messageOf(err)}`);
    });
    const done = torrent.progress();
    reporter.progress(done);
    if (options.mode === 'download') {
      const seconds = Math.round(performance.now() - startedAt) / 1000;
      reporter.complete({ downloaded: done.downloaded, uploaded: done.uploaded, seconds });
    }
    if (!options.keepSeeding) return await shutdown();
    reporter.seeding();
    await failed; // seeds until a signal ends the process, or a disk error ends the torrent
  } catch (err) {
    // A signal is being handled: the torrent stopping is expected, and the handler exits the
    // process. Wait for it here, with the handlers still installed (a second signal must work).
    if (interrupted) await new Promise<never>(() => undefined);
    reporter.error(messageOf(err));
    await shutdown().catch(() => undefined);
    throw err;
  } finally {
    interrupts.remove();
    process.stdout.off('error', onOutputError);
  }
}

/** Creates the folder if needed and checks that we may write in it, before anything is started. */
async function ensureWritableFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new CliError(`cannot use the output folder ${dir}: ${fileReason(err)}`);
  }
}

/**
 * Seed only: hashes the data before seeding, without creating anything, and refuses data that is
 * not complete (serving part of a torrent is what `download --seed` is for). Returns the pieces
 * found, so the torrent does not hash them a second time.
 */
async function checkCompleteData(meta: Metainfo, downloadDir: string, dataPath: string): Promise<Uint8Array> {
  const storage = new FsStorage(meta, downloadDir);
  let have: Uint8Array;
  try {
    have = await checkExisting(storage, meta);
  } catch (err) {
    throw new CliError(`cannot check ${dataPath}: ${messageOf(err)}`);
  } finally {
    await storage.close();
  }
  let present = 0;
  for (let i = 0; i < meta.pieceCount; i++) if (hasPiece(have, i)) present++;
  const missing = meta.pieceCount - present;
  if (missing === 0) return have;
  const exists = await stat(dataPath).then(
    () => true,
    () => false,
  );
  if (!exists) throw new CliError(`nothing to seed: ${dataPath} does not exist (all ${meta.pieceCount} pieces missing)`);
  throw new CliError(`cannot seed: ${missing} of ${meta.pieceCount} pieces are missing or damaged in ${dataPath}`);
}

function fileReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return 'a file is in the way (not a folder)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return messageOf(err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
