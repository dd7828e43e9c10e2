import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { type Magnet, parseMagnet } from '../protocol/magnet.js';
import { ProtocolError } from '../protocol/errors.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { Session, type TorrentHandle } from '../session.js';
import { FsStorage } from '../storage/fs-storage.js';
import { checkExisting } from '../storage/piece-verifier.js';
import { popcount } from '../util/bits.js';
import { messageOf } from '../util/message-of.js';
import type { Hasher } from '../env/hasher.js';
import { takeHashingThreads } from './hashing-threads.js';
import { CliError } from './errors.js';
import { UsageError } from './units.js';
import { onInterrupt } from './interrupt.js';
import { type ObserveOptions, type Observers, startObservers } from './observers.js';
import { loadTorrent } from './read-torrent.js';
import { fetchMagnet } from './fetch-magnet.js';
import { selectFileIndexes, selectFiles } from './select.js';
import { JsonReporter } from './report/json.js';
import type { Reporter } from './report/reporter.js';
import { TextReporter } from './report/text.js';
import type { EncryptionMode } from '../policy/encryption.js';
import type { TransportOrder } from '../policy/transport-order.js';
import { createPeerTransport } from '../env/peer-transport.js';
import { SharedUdpPorts } from '../env/udp-ports.js';
import { bootstrapNodes, dhtStateFile, loadDhtState, saveDhtState } from './dht-options.js';

/**
 * The body of `download` and `seed`: one Session, one torrent, progress reported until the
 * download completes (then exit) or, when seeding, until SIGINT / SIGTERM.
 */
export interface RunTorrentOptions {
  /** `seed` refuses data that is not complete; `download` fetches what is missing. */
  mode: 'download' | 'seed';
  /** A .torrent file, or a magnet link (its metadata is fetched from peers first). */
  torrentFile: string;
  /** The torrent's files are at `outputDir/<name>`. */
  outputDir: string;
  port: number;
  bind?: string;
  peers: { host: string; port: number }[];
  /** Stay up once complete, seeding until interrupted. */
  keepSeeding: boolean;
  json: boolean;
  /** Extra trackers (`--tracker`), each appended to the torrent's as a tier of its own. */
  trackers?: string[];
  maxPeers?: number;
  /** `--select` globs: fetch only the matching files. */
  select?: string[];
  /** A magnet link: write its fetched metadata as a .torrent here. */
  saveTorrent?: string;
  /** Bytes per second; undefined = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  quiet?: boolean;
  verbose?: boolean;
  /** `--trace`, `--inspect`, `--ui`. */
  observe?: ObserveOptions;
  /** Local Service Discovery (BEP 14) on the `bind` address's interface; default on (never for private torrents). */
  lsd?: boolean;
  /** BEP 11 peer exchange (default on). */
  pex?: boolean;
  /** Message Stream Encryption (`--encryption`); default prefer. */
  encryption?: EncryptionMode;
  /** `--transport`: the peer transports in dial order (default TCP only). */
  transport?: TransportOrder;
  /** The Mainline DHT (BEP 5); default on (never for private torrents). */
  dht?: boolean;
  /** Its UDP port; default the peer port's number. */
  dhtPort?: number;
  /** `--dht-bootstrap`; without any, the well-known routers (not from a loopback address). */
  dhtBootstrap?: { host: string; port: number }[];
}

export async function runTorrent(options: RunTorrentOptions): Promise<void> {
  const reporter: Reporter = options.json ? new JsonReporter() : new TextReporter(undefined, undefined, { quiet: options.quiet, verbose: options.verbose });
  let session: Session | undefined;
  let observers: Observers | undefined;
  let handle: TorrentHandle | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let interrupted = false;
  // One pool of hashing threads for the seed check and the session.
  const hasher = takeHashingThreads();
  // Called from the normal end, from an error and from a signal: runs once. Closing the session
  // stops the torrent, which saves its resume data.
  const shutdown = () => {
    clearInterval(ticker);
    closing ??= (async () => {
      // The routing table for the next run, before the DHT closes.
      const dht = session?.dht;
      if (dht) await saveDhtState(dhtStateFile(path.resolve(options.outputDir)), dht).catch((err: unknown) => reporter.warning(`cannot save the DHT's routing table: ${messageOf(err)}`));
      await session?.close();
      await hasher.close();
      await observers?.close();
    })();
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
    const source = await loadSource(options.torrentFile);
    if (options.saveTorrent !== undefined && !source.magnet) throw new UsageError('--save-torrent is for magnet links: this torrent is already a file');
    if (options.mode === 'download') await ensureWritableFolder(path.resolve(options.outputDir));
    observers = await startObservers(options.observe ?? {}, { command: options.mode, argv: process.argv.slice(2) });
    const dht = options.dht === false ? undefined : { port: options.dhtPort, bootstrap: bootstrapNodes(options.dhtBootstrap ?? [], options.bind), ...(await loadDhtState(dhtStateFile(path.resolve(options.outputDir)))) };
    // uTP and the DHT share the UDP port of the peer port's number (one socket, demultiplexed).
    const udpPorts = new SharedUdpPorts();
    const transport = createPeerTransport({ order: options.transport ?? ['tcp'], utpOptions: { ports: udpPorts } });
    const sharedDht = dht && transport.utp ? { ...dht, socket: udpPorts.krpcSocket } : dht;
    session = new Session({ host: options.bind, port: options.port, hasher, lsd: options.lsd ?? true, encryption: options.encryption ?? 'prefer', transport, dht: sharedDht, ...observers.sessionOptions(options.mode) });
    session.dhtEvents$.subscribe((e) => {
      if (e.type === 'failed') reporter.warning(`the DHT is off: ${e.error}`);
      else if (e.type === 'warning') reporter.warning(e.message);
    });
    session.lsdEvents$.subscribe((e) => {
      if (e.type === 'failed') reporter.warning(`local service discovery is off: ${e.error}`);
      else if (e.type === 'warning') reporter.warning(e.message);
    });
    await session.listen().catch((err: unknown) => {
      throw new CliError(messageOf(err));
    });
    let fetched: Metainfo;
    // The peers the metadata fetch met or heard of: dialled again by the download.
    let magnetPeers: { host: string; port: number }[] = [];
    if (source.magnet) {
      const result = await fetchMagnet(session, source.magnet, { peers: options.peers, trackers: options.trackers ?? [], saveTorrent: options.saveTorrent }, reporter);
      fetched = result.meta;
      magnetPeers = result.peers;
    } else {
      fetched = source.meta;
    }
    const meta = withExtraTrackers(fetched, options.trackers ?? []);
    const selection = options.select?.length
      ? selectFiles(meta, options.select)
      : source.magnet?.selectOnly
        ? selectFileIndexes(meta, source.magnet.selectOnly)
        : undefined;
    const downloadDir = path.resolve(options.outputDir);
    const dataPath = path.join(downloadDir, meta.name);
    const resume = await session.readResume(meta, downloadDir);
    let trustedHave = resume.trusted ? resume.have : undefined;
    if (options.mode === 'seed' && !(trustedHave && popcount(trustedHave, meta.pieceCount) === meta.pieceCount)) {
      reporter.checking(dataPath);
      trustedHave = await checkCompleteData(meta, downloadDir, dataPath, hasher, resume.trusted ? undefined : resume.known);
    }
    reporter.resume(resume.trusted ? { resumed: true } : { resumed: false, reason: resume.reason });

    const torrent = session.add(meta, {
      downloadDir,
      seed: options.keepSeeding,
      peers: options.peers,
      trustedHave,
      knownHave: resume.trusted ? undefined : resume.known,
      maxPeers: options.maxPeers,
      wanted: selection?.wanted,
      pex: options.pex,
      uploadLimit: options.uploadLimit,
      downloadLimit: options.downloadLimit,
      saveResume: true,
    });
    handle = torrent;
    if (magnetPeers.length > 0) torrent.addPeers(magnetPeers, 'magnet');
    observers.torrentAdded(options.mode, session, torrent);
    const startedAt = performance.now();
    torrent.events$.subscribe((event) => reporter.event(event));
    const failed = firstValueFrom(torrent.events$.pipe(filter((e) => e.type === 'failed'))).then((e) => {
      throw new CliError(`${options.mode} failed: ${'message' in e ? e.message : 'unknown error'}`);
    });
    failed.catch(() => undefined); // observed below, or not at all if we end first
    reporter.started({
      mode: options.mode,
      port: session.port,
      name: meta.name,
      length: meta.length,
      pieces: meta.pieceCount,
      dataPath,
      selected: selection?.files.map((i) => meta.files[i]!.path.join('/')),
    });
    ticker = setInterval(() => reporter.progress(torrent.progress(), session?.serverStats()), reporter.progressIntervalMs);
    // Under a connection flood these come by the thousand: a few a second are shown, the progress counts all.
    const shown = { second: 0, count: 0 };
    session.serverEvents$.subscribe((e) => {
      if (e.type !== 'rejected' && e.type !== 'evicted') return;
      const second = Math.floor(performance.now() / 1000);
      if (second !== shown.second) Object.assign(shown, { second, count: 0 });
      if (shown.count++ < CONNECTION_LINES_PER_SECOND) reporter.connection(e);
    });

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

/** A .torrent file, or a magnet link (anything starting with `magnet:`). */
async function loadSource(argument: string): Promise<{ meta: Metainfo; magnet?: undefined } | { magnet: Magnet; meta?: undefined }> {
  if (!argument.toLowerCase().startsWith('magnet:')) return { meta: await loadTorrent(argument) };
  try {
    return { magnet: parseMagnet(argument) };
  } catch (err) {
    throw err instanceof ProtocolError ? new CliError(`invalid magnet link: ${err.message}`, { cause: err }) : err;
  }
}

/** Refused / evicted incoming connections reported per second, at most. */
const CONNECTION_LINES_PER_SECOND = 5;

/** `--tracker URL`: each extra tracker becomes a tier of its own after the torrent's, unless already listed. */
function withExtraTrackers(meta: Metainfo, trackers: string[]): Metainfo {
  const known = new Set(meta.announce.flat());
  const extra = trackers.filter((url, i) => !known.has(url) && trackers.indexOf(url) === i);
  return extra.length === 0 ? meta : { ...meta, announce: [...meta.announce, ...extra.map((url) => [url])] };
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
async function checkCompleteData(meta: Metainfo, downloadDir: string, dataPath: string, hasher: Hasher, known?: Uint8Array): Promise<Uint8Array> {
  const storage = new FsStorage(meta, downloadDir);
  let have: Uint8Array;
  try {
    have = await checkExisting(storage, meta, { known, hasher });
  } catch (err) {
    throw new CliError(`cannot check ${dataPath}: ${messageOf(err)}`);
  } finally {
    await storage.close();
  }
  const missing = meta.pieceCount - popcount(have, meta.pieceCount);
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
