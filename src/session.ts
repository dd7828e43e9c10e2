import { randomBytes } from 'node:crypto';
import { Observable, Subject, merge } from 'rxjs';
import { type ActorRefFrom, type InspectionEvent, type Observer, createActor, waitFor } from 'xstate';
import { SYSTEM_IDS } from './actors/ids.js';
import { type ServerCounts, type ServerEmitted, serverCounts, serverMachine } from './actors/server.js';
import { type PieceVerifiedEvent, type TorrentEmitted, type WireTapPeer, torrentMachine } from './actors/torrent.js';
import type { EncryptionMode } from './policy/encryption.js';
import { randomBytesFrom } from './env/rng.js';
import { metadataFetchMachine } from './actors/metadata-fetch.js';
import { MetadataFetchHandle } from './metadata-fetch-handle.js';
import {
  type FileProgress,
  type PeerInfo,
  type PieceView,
  type TorrentActor,
  type TorrentProgress,
  type TorrentState,
  checkProgress,
  haveBitfield,
  pieceAvailability,
  pieceStates,
  torrentComplete,
  torrentEngineLimits,
  torrentError,
  torrentFiles,
  torrentPeers,
  torrentProgress,
  torrentState,
  torrentSuspects,
  torrentUploadedByPeer,
  type TransferStats,
  transferStats,
} from './actors/torrent-queries.js';
import type { WireTap } from './engine/peer-wire.js';
import type { RateLimiter } from './engine/token-bucket.js';
import type { Handshake } from './protocol/wire/index.js';
import { ResumeSaver } from './resume-saver.js';
import { LocalDiscovery } from './local-discovery.js';
import type { LsdEmitted } from './actors/lsd.js';
import type { LsdSocketFactory } from './env/lsd-socket.js';
import { SessionDht, type SessionDhtOptions } from './session-dht.js';
import type { DhtNodeEmitted } from './actors/dht-node.js';
import type { MainlineDht } from './mainline-dht.js';
import { type ResumeVerdict, readTrustedHave } from './storage/resume-file.js';
import { socketAddress } from './util/socket-address.js';
import { type Clock, systemClock } from './env/clock.js';
import { type Hasher, workerHasher } from './env/hasher.js';
import { type TrackerTransport, createTrackerTransport } from './env/tracker-transport.js';
import { type PeerSocket, type Transport, tcpTransport } from './env/transport.js';
import type { Metainfo } from './protocol/metainfo/index.js';
import { generatePeerId } from './protocol/wire/index.js';
import { fsStorageFactory } from './storage/fs-storage.js';
import type { StorageFactory, TorrentStorage } from './storage/storage.js';

/**
 * The library API: a Session listens on one port and runs any number of torrents. The CLI is built
 * on it. Every edge (sockets, trackers, clock, disk) can be injected, so the same session runs in
 * the simulator.
 */

export interface SessionOptions {
  /** Listening port; 0 picks a free one. Default 0. */
  port?: number;
  /** Listen on, and dial from, this address. Default: all addresses. */
  host?: string;
  transport?: Transport;
  trackerTransport?: TrackerTransport;
  clock?: Clock;
  storage?: StorageFactory;
  rng?: () => number;
  peerId?: Buffer;
  maxIncomingConnections?: number;
  /** A connection must complete its handshake within this long (incoming and outgoing). Default 10 s. */
  handshakeTimeoutMs?: number;
  /** XState's inspection events of every actor in the session (the inspector, the dashboard, traces). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * SHA-1 for checks and verification. Default: worker threads owned by the session (closed with
   * it). The simulator and replay pass `inlineHasher`, which keeps runs deterministic.
   */
  hasher?: Hasher;
  /** Observes every peer connection's messages, per torrent. */
  wireTap?: (torrent: Metainfo | undefined, peer: WireTapPeer) => WireTap | undefined;
  /**
   * Message Stream Encryption (src/policy/encryption.ts): `prefer` dials with MSE and falls back to
   * plaintext, `require` speaks only MSE, `disable` only plaintext (incoming MSE refused). Default
   * `disable` here, so a library user's (and the simulator's) connections stay as they were; the
   * CLI defaults to `prefer`. Keys come from `rng` when one is given (reproducible), else from
   * crypto.randomBytes.
   */
  encryption?: EncryptionMode;
  /**
   * Local Service Discovery (BEP 14): announce our torrents by multicast on the interface of `host`
   * and take peers from others' announces (needs `listen()` first). Default false here, so a
   * library user (and a test) multicasts only when asked; the CLI turns it on.
   */
  lsd?: boolean;
  /** The LSD multicast socket; default real UDP sockets (tests inject a fake). */
  lsdSocket?: LsdSocketFactory;
  /**
   * The Mainline DHT (BEP 5), started by `listen()`: peers for every torrent and magnet link that is
   * not private, our torrents announced. Off unless given, so a library user (and a test) sends
   * nothing to the DHT unless asked; the CLI turns it on.
   */
  dht?: SessionDhtOptions;
}

export interface AddTorrentOptions {
  /** The torrent's files go to `downloadDir/<name>`. */
  downloadDir: string;
  /** Keep seeding once complete. */
  seed?: boolean;
  /** Peers to dial at once (`--peer`). */
  peers?: { host: string; port: number }[];
  /** Resume data: pieces known to be on disk, so the hash check is skipped. */
  trustedHave?: Uint8Array;
  /** Resume data that holds only for some files: these pieces are taken as present, the rest is hash-checked. */
  knownHave?: Uint8Array;
  maxPeers?: number;
  /** Only these pieces (a bitfield, as trustedHave) are fetched; complete once they are all verified. Default: all. */
  wanted?: Uint8Array;
  /**
   * Each piece's priority, -1 low, 0 normal, 1 high (`piecePriorities` in src/policy/file-priorities.ts
   * derives them from file priorities): new pieces of a higher priority are started first. Default: all normal.
   */
  priorities?: Int8Array;
  /** Bytes per second for this torrent, over all its peers; undefined = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Skip the trackers in the torrent (peers come only from `peers`). */
  noTrackers?: boolean;
  /** BEP 11 peer exchange; default on, always off for private torrents. */
  pex?: boolean;
  /**
   * Save resume data in `downloadDir/.actorrent/` while running and on stop (read it back with
   * `Session.readResume`). Needs the files on a real disk: the default storage.
   */
  saveResume?: boolean;
  /** Where `saveResume` keeps the resume data; default `downloadDir/.actorrent/<infohash>.resume`. */
  resumeFile?: string;
  /** Rate limiters the caller changes at run time (the daemon's per-torrent and global limits); they replace uploadLimit / downloadLimit. */
  uploadLimiter?: RateLimiter;
  downloadLimiter?: RateLimiter;
  /** false keeps this torrent out of LSD (with the session's `lsd` on); private torrents always are (BEP 27). */
  lsd?: boolean;
  /** false keeps this torrent out of the DHT (with the session's `dht` on); private torrents always are (BEP 27). */
  dht?: boolean;
}

/** The torrent's own events, and the session's about it (resume data that could not be saved). */
export type TorrentSessionEvent = TorrentEmitted | { type: 'warning'; message: string };

export type { FileProgress, PeerInfo, PieceView, TorrentProgress, TorrentState, TransferStats } from './actors/torrent-queries.js';
export type { FetchedMetadata, MetadataFetchHandle, MetadataFetchProgress } from './metadata-fetch-handle.js';

/** What a magnet link gives to fetch its metadata with. */
export interface FetchMetadataOptions {
  /** The magnet's `tr`: each URL its own tier, as libtorrent does. */
  trackers?: string[];
  /** The magnet's `x.pe` and `--peer`. */
  peers?: { host: string; port: number }[];
  /** Refuse info dictionaries larger than this; default 8 MiB. */
  maxMetadataSize?: number;
  /** false keeps this magnet out of LSD (with the session's `lsd` on). */
  lsd?: boolean;
  /** false: no DHT lookups for this magnet (with the session's `dht` on). */
  dht?: boolean;
  /** How long a metadata request may stay unanswered before another peer is asked; default 10 s. */
  requestTimeoutMs?: number;
  maxPeers?: number;
}

export class TorrentHandle {
  /** Every event of the torrent and its tracker, as typed objects. */
  readonly events$: Observable<TorrentSessionEvent>;
  private readonly warnings = new Subject<TorrentSessionEvent>();
  /** Saves resume data while the torrent runs (`saveResume`). */
  private readonly saver?: ResumeSaver;
  private stopping?: Promise<void>;

  constructor(
    readonly meta: Metainfo,
    /** Our peer id in this torrent's swarm. */
    readonly localPeerId: Buffer,
    private readonly actor: TorrentActor,
    /** The verified pieces the Torrent reports without a transition (`onPieceVerified`). */
    verified: Observable<PieceVerifiedEvent>,
    private readonly storage: TorrentStorage,
    private readonly clock: Clock,
    private readonly onStopped: () => void,
    saveResumeIn?: string,
    resumeFile?: string,
  ) {
    this.events$ = merge(
      new Observable<TorrentSessionEvent>((subscriber) => {
        const events = actor.on('*', (event) => subscriber.next(event as TorrentEmitted));
        return () => events.unsubscribe();
      }),
      verified,
      this.warnings,
    );
    if (saveResumeIn !== undefined) {
      this.saver = new ResumeSaver({
        meta,
        downloadDir: saveResumeIn,
        file: resumeFile,
        clock,
        have: () => haveBitfield(actor),
        flush: () => storage.flush(),
        onError: (message) => this.warnings.next({ type: 'warning', message }),
      });
      const saver = this.saver;
      actor.on('checked', () => saver.checkedData());
      actor.on('piece-verified', () => saver.pieceVerified());
      verified.subscribe(() => saver.pieceVerified());
      actor.on('complete', () => saver.complete());
    }
  }

  get state(): TorrentState {
    return torrentState(this.actor);
  }

  progress(): TorrentProgress {
    return torrentProgress(this.actor, this.clock.now());
  }

  /** The pieces we have (verified), as a wire bitfield (MSB first). */
  haveBitfield(): Uint8Array {
    return haveBitfield(this.actor);
  }

  /** Each piece's state (untouched, partial, verifying, have), whether it is wanted, and its priority. */
  pieces(): PieceView[] {
    return pieceStates(this.actor);
  }

  /** Per piece, how many connected peers have it; -1 for the pieces we have. */
  availability(): number[] {
    return pieceAvailability(this.actor);
  }

  /** The share of the pieces the initial hash check has looked at, 0…1 (1 once it is over). */
  checkProgress(): number {
    return checkProgress(this.actor);
  }

  /**
   * Changes the file selection while the torrent runs, no restart: the pieces to fetch (undefined: all)
   * and their priorities (undefined: all normal), as in AddTorrentOptions. Newly wanted pieces are
   * fetched (a complete torrent downloads again, events `incomplete` then `complete`); requests for
   * pieces no longer wanted are cancelled.
   */
  setFileSelection(selection: { wanted?: Uint8Array; priorities?: Int8Array }): void {
    this.actor.send({ type: 'SET_SELECTION', wanted: selection.wanted, priorities: selection.priorities });
  }

  /** Every open connection: address, client, the four choke / interest flags, rates and totals. */
  peers(): PeerInfo[] {
    return torrentPeers(this.actor, this.clock.now());
  }

  /** Per file: path, length, bytes inside verified pieces, wanted. */
  files(): FileProgress[] {
    return torrentFiles(this.actor);
  }

  /** Payload bytes sent to each peer in this session, by remote peer id (hex), closed connections included. */
  uploadedByPeer(): Map<string, number> {
    return torrentUploadedByPeer(this.actor);
  }

  /** Block and byte counters of this session's transfers, useful and wasted. */
  transferStats(): TransferStats {
    return transferStats(this.actor);
  }

  /** Banned peer ids, and the hash-failure strikes of the others. */
  suspects(): { banned: string[]; strikes: ReadonlyMap<string, number> } {
    return torrentSuspects(this.actor);
  }

  /** The request pipeline depth and request timeout the download uses. */
  limits(): { pipelineDepth: number; requestTimeoutMs: number } {
    return torrentEngineLimits(this.actor);
  }

  addPeers(peers: { host: string; port: number }[], source = 'manual'): void {
    this.actor.send({ type: 'ADD_PEERS', peers, source });
  }

  /** No new requests or dials, every peer choked; writes under way still finish and verify. */
  pause(): void {
    this.actor.send({ type: 'PAUSE' });
  }

  /** Continues where pause() left off. */
  resume(): void {
    this.actor.send({ type: 'RESUME' });
  }

  /** Announces to the trackers now (within their minimum interval). */
  reannounce(): void {
    this.actor.send({ type: 'REANNOUNCE' });
  }

  /** Writes buffered data to stable storage. */
  flush(): Promise<void> {
    return this.storage.flush();
  }

  /** An incoming connection the server routed to this torrent (its handshake already read). */
  incoming(socket: PeerSocket, handshake: Handshake, rest: Buffer): void {
    this.actor.send({ type: 'PEER.CONNECTION', socket, direction: 'incoming', handshake, rest });
  }

  /** Resolves when every piece is verified; rejects if the torrent fails or stops first. */
  whenComplete(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (torrentComplete(this.actor)) return resolve();
      const done = this.actor.on('complete', () => {
        cleanup();
        resolve();
      });
      const failed = this.actor.on('failed', ({ message }) => {
        cleanup();
        reject(new Error(message));
      });
      const stopped = this.actor.subscribe((s) => {
        if (s.status === 'done' && !torrentComplete(this.actor)) {
          cleanup();
          reject(new Error(torrentError(this.actor) ?? 'torrent stopped before it was complete'));
        }
      });
      const cleanup = () => {
        done.unsubscribe();
        failed.unsubscribe();
        stopped.unsubscribe();
      };
    });
  }

  /** Announces `stopped`, closes every peer, flushes and closes the files, saves resume data. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'STOP' });
      await waitFor(this.actor, (s) => s.status !== 'active', { timeout: 15_000 }).catch(() => undefined);
      this.actor.stop();
      // A torrent that failed (disk error) stopped without its flush: resume data saved after close()
      // must only claim pieces on stable storage.
      await this.storage.flush().catch(() => undefined);
      await this.storage.close();
      await this.saver?.final();
      this.warnings.complete();
      this.onStopped();
    })();
    return this.stopping;
  }
}

export class Session {
  readonly peerId: Buffer;
  private readonly transport: Transport;
  private readonly trackerTransport: TrackerTransport;
  private readonly clock: Clock;
  private readonly storage: StorageFactory;
  private readonly rng: () => number;
  private readonly randomBytes: (length: number) => Buffer;
  private readonly torrents = new Map<string, TorrentHandle>();
  /** Magnet links whose metadata is being fetched, by infohash (hex). */
  private readonly fetches = new Map<string, MetadataFetchHandle>();
  /** The hasher, and whether this session made it (then it closes it). */
  private readonly hasher: Hasher;
  private readonly ownsHasher: boolean;
  private server?: ActorRefFrom<typeof serverMachine>;
  private boundPort = 0;
  private readonly serverEvents = new Subject<ServerEmitted>();
  /** The listening server's events: `listening`, incoming connections `accepted` or `rejected` (with why), `failed`. */
  readonly serverEvents$: Observable<ServerEmitted> = this.serverEvents.asObservable();
  /** Local Service Discovery, started with the first torrent that uses it (SessionOptions.lsd). */
  private discovery?: LocalDiscovery;
  /** The Mainline DHT, started by listen() when SessionOptions.dht is given. */
  private dhtService?: SessionDht;
  private readonly dhtEvents = new Subject<DhtNodeEmitted | { type: 'failed'; error: string }>();
  /** The DHT's events: `ready`, `failed` (then the session runs without it), `peers`, `lookup-done`, `warning`. */
  readonly dhtEvents$: Observable<DhtNodeEmitted | { type: 'failed'; error: string }> = this.dhtEvents.asObservable();
  private readonly lsdEvents = new Subject<LsdEmitted>();
  /** LSD's events: `ready` (groups joined), `failed`, `announced`, `peer` (heard for a torrent of ours), `warning`. */
  readonly lsdEvents$: Observable<LsdEmitted> = this.lsdEvents.asObservable();

  constructor(private readonly options: SessionOptions = {}) {
    this.transport = options.transport ?? tcpTransport;
    this.trackerTransport = options.trackerTransport ?? createTrackerTransport({ localAddress: options.host });
    this.clock = options.clock ?? systemClock;
    this.storage = options.storage ?? fsStorageFactory();
    this.rng = options.rng ?? Math.random;
    this.randomBytes = options.rng ? randomBytesFrom(options.rng) : randomBytes;
    this.peerId = options.peerId ?? generatePeerId(randomBytes);
    this.ownsHasher = options.hasher === undefined;
    this.hasher = options.hasher ?? workerHasher();
  }

  /** Incoming connections so far: accepted (handed to a torrent), rejected (with overLimit among them) and evicted. */
  serverStats(): ServerCounts {
    return this.server ? serverCounts(this.server) : { accepted: 0, rejected: 0, overLimit: 0, evicted: 0 };
  }

  /** The port we listen on (after `listen`). */
  get port(): number {
    return this.boundPort;
  }

  /** Starts accepting peers; rejects with a clear message when the port cannot be used. */
  async listen(): Promise<number> {
    const server = createActor(serverMachine, {
      systemId: SYSTEM_IDS.server,
      // Any `after` delay of the server runs on the session's clock (the simulator's, in simulations).
      clock: this.clock,
      inspect: this.options.inspect,
      input: {
        transport: this.transport,
        clock: this.clock,
        host: this.options.host,
        port: this.options.port ?? 0,
        maxConnections: this.options.maxIncomingConnections,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        encryption: this.options.encryption && {
          mode: this.options.encryption,
          randomBytes: this.randomBytes,
          infoHashes: () => [...this.torrents.keys(), ...this.fetches.keys()],
        },
        route: (infoHash) => {
          const hex = infoHash.toString('hex');
          const torrent = this.torrents.get(hex) ?? this.fetches.get(hex);
          if (!torrent) return undefined;
          return (socket, handshake, rest) => {
            const address = socketAddress(socket);
            socket.once('close', () => server.send({ type: 'CONNECTION_CLOSED', address }));
            torrent.incoming(socket, handshake, rest);
          };
        },
      },
    });
    this.server = server;
    server.on('*', (event) => this.serverEvents.next(event as ServerEmitted));
    server.start();
    const snapshot = await waitFor(server, (s) => s.matches('listening') || s.status !== 'active', { timeout: 10_000 });
    if (!snapshot.matches('listening')) {
      throw new Error(snapshot.context.error ?? `cannot listen on port ${this.options.port ?? 0}`);
    }
    this.boundPort = snapshot.context.port!;
    if (this.options.dht) await this.startDht(this.options.dht);
    return this.boundPort;
  }

  /**
   * What the resume data saved in `downloadDir` says: trusted when every file still has the size
   * and mtime recorded with it; else why not, with the pieces of the files that did not change.
   */
  readResume(meta: Metainfo, downloadDir: string, resumeFile?: string): Promise<ResumeVerdict> {
    return readTrustedHave(downloadDir, meta, resumeFile);
  }

  add(meta: Metainfo, options: AddTorrentOptions): TorrentHandle {
    if (this.torrents.has(meta.infoHashHex)) throw new Error(`torrent ${meta.infoHashHex} is already in the session`);
    const storage = this.storage.open(meta, options.downloadDir);
    const wireTap = this.options.wireTap;
    const verified = new Subject<PieceVerifiedEvent>();
    const actor = createActor(torrentMachine, {
      clock: this.clock,
      inspect: this.options.inspect,
      input: {
        meta,
        storage,
        peerId: this.peerId,
        clock: this.clock,
        rng: this.rng,
        seed: options.seed ?? false,
        trustedHave: options.trustedHave,
        knownHave: options.knownHave,
        wanted: options.wanted,
        priorities: options.priorities,
        uploadLimit: options.uploadLimit,
        downloadLimit: options.downloadLimit,
        uploadLimiter: options.uploadLimiter,
        downloadLimiter: options.downloadLimiter,
        maxPeers: options.maxPeers,
        pex: options.pex,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        transport: this.transport,
        trackerTransport: options.noTrackers ? undefined : this.trackerTransport,
        listenPort: this.boundPort,
        localAddress: this.options.host,
        hasher: this.hasher,
        wireTap: this.tapFor(wireTap && ((peer) => wireTap(meta, peer)), this.dhtFor(meta.private, options.dht)),
        dhtPort: this.dhtFor(meta.private, options.dht)?.port,
        encryption: this.options.encryption && { mode: this.options.encryption, randomBytes: this.randomBytes, timeoutMs: this.options.handshakeTimeoutMs },
        onPieceVerified: (event) => verified.next(event),
      },
    });
    const onStopped = () => {
      this.torrents.delete(meta.infoHashHex);
      this.discovery?.remove(meta.infoHashHex);
      if (!this.fetches.has(meta.infoHashHex)) this.dhtService?.untrack(meta.infoHashHex);
    };
    const handle = new TorrentHandle(meta, this.peerId, actor, verified, storage, this.clock, onStopped, options.saveResume ? options.downloadDir : undefined, options.resumeFile);
    this.torrents.set(meta.infoHashHex, handle);
    actor.start();
    // BEP 27: a private torrent's peers come from its trackers only. Without a port, nothing to announce.
    if (this.options.lsd && !meta.private && options.lsd !== false && this.boundPort > 0) this.localDiscovery().add(meta.infoHashHex);
    this.dhtFor(meta.private, options.dht)?.track(meta.infoHash, options.seed ?? false);
    if (options.peers?.length) handle.addPeers(options.peers, 'manual');
    return handle;
  }

  /**
   * Fetches a magnet link's info dictionary from peers (BEP 9); add the torrent with the result:
   * `session.add((await fetch.whenFetched()).meta, …)`.
   */
  fetchMetadata(infoHash: Buffer, options: FetchMetadataOptions = {}): MetadataFetchHandle {
    const hex = infoHash.toString('hex');
    if (this.torrents.has(hex) || this.fetches.has(hex)) throw new Error(`torrent ${hex} is already in the session`);
    const trackers = (options.trackers ?? []).map((url) => [url]);
    const wireTap = this.options.wireTap;
    const actor = createActor(metadataFetchMachine, {
      clock: this.clock,
      inspect: this.options.inspect,
      input: {
        infoHash,
        peerId: this.peerId,
        clock: this.clock,
        rng: this.rng,
        transport: this.transport,
        trackerTransport: this.trackerTransport,
        trackers,
        listenPort: this.boundPort,
        localAddress: this.options.host,
        maxPeers: options.maxPeers,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        maxMetadataSize: options.maxMetadataSize,
        requestTimeoutMs: options.requestTimeoutMs,
        wireTap: this.tapFor(wireTap && ((peer) => wireTap(undefined, peer)), this.dhtFor(false, options.dht)),
        dhtPort: this.dhtFor(false, options.dht)?.port,
        encryption: this.options.encryption && { mode: this.options.encryption, randomBytes: this.randomBytes, timeoutMs: this.options.handshakeTimeoutMs },
      },
    });
    const handle = new MetadataFetchHandle(hex, actor, trackers, () => {
      if (this.fetches.get(hex) !== handle) return;
      this.fetches.delete(hex);
      if (!this.torrents.has(hex)) this.discovery?.remove(hex);
      if (!this.torrents.has(hex)) this.dhtService?.untrack(hex);
    });
    this.fetches.set(hex, handle);
    actor.start();
    // Whether the torrent is private is unknown until its metadata arrives; libtorrent announces magnets too.
    if (this.options.lsd && options.lsd !== false && this.boundPort > 0) this.localDiscovery().add(hex);
    // Whether it is private is unknown until the metadata arrives: looked up (and announced) as libtorrent does.
    this.dhtFor(false, options.dht)?.track(infoHash);
    if (options.peers?.length) handle.addPeers(options.peers, 'magnet');
    return handle;
  }

  /** The session's DHT node (stats, its routing table to save), once listen() started it. */
  get dht(): MainlineDht | undefined {
    return this.dhtService?.dht;
  }

  private async startDht(options: SessionDhtOptions): Promise<void> {
    const started = await SessionDht.start(options, {
      host: this.options.host,
      peerPort: this.boundPort,
      clock: this.clock,
      rng: this.rng,
      inspect: this.options.inspect,
      onPeers: (infoHash, peers) => (this.torrents.get(infoHash) ?? this.fetches.get(infoHash))?.addPeers(peers, 'dht'),
    });
    if ('error' in started) return this.dhtEvents.next({ type: 'failed', error: started.error });
    this.dhtService = started;
    started.dht.events$.subscribe((event) => this.dhtEvents.next(event));
  }

  /** The DHT, when this torrent may use it (BEP 27: never for a private torrent). */
  private dhtFor(isPrivate: boolean, wanted: boolean | undefined): SessionDht | undefined {
    return isPrivate || wanted === false ? undefined : this.dhtService;
  }

  /** With a DHT, every connection's wire is watched for BEP 5 `port` messages. */
  private tapFor(tap: ((peer: WireTapPeer) => WireTap | undefined) | undefined, dht: SessionDht | undefined): ((peer: WireTapPeer) => WireTap | undefined) | undefined {
    return dht ? dht.tap(tap) : tap;
  }

  private localDiscovery(): LocalDiscovery {
    if (this.discovery) return this.discovery;
    const discovery = new LocalDiscovery({
      port: this.boundPort,
      interfaceAddress: this.options.host,
      clock: this.clock,
      rng: this.rng,
      socketFactory: this.options.lsdSocket,
      inspect: this.options.inspect,
      onPeers: (infoHash, peers) => (this.torrents.get(infoHash) ?? this.fetches.get(infoHash))?.addPeers(peers, 'lsd'),
    });
    discovery.events$.subscribe((event) => this.lsdEvents.next(event));
    this.discovery = discovery;
    return discovery;
  }

  async close(): Promise<void> {
    await Promise.all([...this.fetches.values()].map((f) => f.stop()));
    await Promise.all([...this.torrents.values()].map((t) => t.stop()));
    await this.discovery?.close();
    await this.dhtService?.close();
    if (this.server) {
      this.server.send({ type: 'STOP' });
      await waitFor(this.server, (s) => s.status !== 'active' || s.matches('stopped'), { timeout: 5000 }).catch(() => undefined);
      this.server.stop();
    }
    if (this.ownsHasher) await this.hasher.close();
  }
}
