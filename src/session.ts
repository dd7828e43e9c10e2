import { randomBytes } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import { type ActorRefFrom, type InspectionEvent, type Observer, createActor, waitFor } from 'xstate';
import { SYSTEM_IDS } from './actors/ids.js';
import { type ServerEmitted, serverMachine } from './actors/server.js';
import type { WireTap } from './engine/peer-wire.js';
import { type TorrentEmitted, torrentMachine } from './actors/torrent.js';
import { type Clock, systemClock } from './env/clock.js';
import { type TrackerTransport, createTrackerTransport } from './env/tracker-transport.js';
import { type Transport, tcpTransport } from './env/transport.js';
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
  /** Observes every peer connection's messages, per torrent. */
  wireTap?: (torrent: Metainfo, peer: { key: string; address: string; direction: 'incoming' | 'outgoing' }) => WireTap | undefined;
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
  /** Bytes per second for this torrent, over all its peers; undefined = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Skip the trackers in the torrent (peers come only from `peers`). */
  noTrackers?: boolean;
}

export type TorrentSessionEvent = TorrentEmitted;

export interface TorrentProgress {
  state: string;
  have: number;
  total: number;
  /** Payload bytes received and sent in this session. */
  downloaded: number;
  uploaded: number;
  peers: number;
  downloadRate: number;
  uploadRate: number;
}

type TorrentActor = ActorRefFrom<typeof torrentMachine>;

export class TorrentHandle {
  /** Every event of the torrent and its tracker, as typed objects. */
  readonly events$: Observable<TorrentSessionEvent>;

  constructor(
    readonly meta: Metainfo,
    readonly actor: TorrentActor,
    private readonly storage: TorrentStorage,
    private readonly clock: Clock,
    private readonly onStopped: () => void,
  ) {
    this.events$ = new Observable<TorrentSessionEvent>((subscriber) => {
      const events = actor.on('*', (event) => subscriber.next(event as TorrentEmitted));
      return () => events.unsubscribe();
    });
  }

  get state(): string {
    const value = this.actor.getSnapshot().value;
    return typeof value === 'string' ? value : Object.keys(value)[0]!;
  }

  progress(): TorrentProgress {
    const { context } = this.actor.getSnapshot();
    const now = this.clock.now();
    let downloadRate = 0;
    let uploadRate = 0;
    let peers = 0;
    for (const entry of context.peers.values()) {
      if (!entry.handle) continue;
      peers++;
      downloadRate += entry.wire.download.rate(now);
      uploadRate += entry.wire.upload.rate(now);
    }
    // With a file selection, progress counts only the wanted pieces.
    let wanted = 0;
    for (let i = 0; i < this.meta.pieceCount; i++) if (context.picker.isWanted(i)) wanted++;
    return {
      state: this.state,
      have: wanted - context.picker.missingCount,
      total: wanted,
      downloaded: context.download.stats.bytes,
      uploaded: context.upload.stats.bytes,
      peers,
      downloadRate,
      uploadRate,
    };
  }

  /** Payload bytes sent to each peer in this session, by remote peer id (hex), closed connections included. */
  uploadedByPeer(): Map<string, number> {
    const { context } = this.actor.getSnapshot();
    const sent = new Map(context.uploadedToClosed);
    for (const entry of context.peers.values()) {
      const id = entry.actor.getSnapshot().context.remote?.peerId.toString('hex');
      if (id) sent.set(id, (sent.get(id) ?? 0) + entry.wire.upload.totalBytes);
    }
    return sent;
  }

  addPeers(peers: { host: string; port: number }[], source = 'manual'): void {
    this.actor.send({ type: 'ADD_PEERS', peers, source });
  }

  /** Resolves when every piece is verified; rejects if the torrent fails or stops first. */
  whenComplete(): Promise<void> {
    return new Promise((resolve, reject) => {
      const snapshot = this.actor.getSnapshot();
      if (snapshot.context.picker.isComplete() && !snapshot.matches('checking')) return resolve();
      const done = this.actor.on('complete', () => {
        cleanup();
        resolve();
      });
      const failed = this.actor.on('failed', ({ message }) => {
        cleanup();
        reject(new Error(message));
      });
      const stopped = this.actor.subscribe((s) => {
        if (s.status === 'done' && !s.context.picker.isComplete()) {
          cleanup();
          reject(new Error(s.context.error ?? 'torrent stopped before it was complete'));
        }
      });
      const cleanup = () => {
        done.unsubscribe();
        failed.unsubscribe();
        stopped.unsubscribe();
      };
    });
  }

  /** Announces `stopped`, closes every peer, flushes and closes the files. */
  async stop(): Promise<void> {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'STOP' });
    await waitFor(this.actor, (s) => s.status !== 'active', { timeout: 15_000 }).catch(() => undefined);
    this.actor.stop();
    // A torrent that failed (disk error) stopped without its flush: resume data saved after close()
    // must only claim pieces on stable storage.
    await this.storage.flush().catch(() => undefined);
    await this.storage.close();
    this.onStopped();
  }
}

export class Session {
  readonly peerId: Buffer;
  private readonly transport: Transport;
  private readonly trackerTransport: TrackerTransport;
  private readonly clock: Clock;
  private readonly storage: StorageFactory;
  private readonly rng: () => number;
  private readonly torrents = new Map<string, TorrentHandle>();
  private server?: ActorRefFrom<typeof serverMachine>;
  private boundPort = 0;
  private readonly serverEvents = new Subject<ServerEmitted>();
  /** The listening server's events: `listening`, incoming connections `accepted` or `rejected` (with why), `failed`. */
  readonly serverEvents$: Observable<ServerEmitted> = this.serverEvents.asObservable();

  constructor(private readonly options: SessionOptions = {}) {
    this.transport = options.transport ?? tcpTransport;
    this.trackerTransport = options.trackerTransport ?? createTrackerTransport({ localAddress: options.host });
    this.clock = options.clock ?? systemClock;
    this.storage = options.storage ?? fsStorageFactory();
    this.rng = options.rng ?? Math.random;
    this.peerId = options.peerId ?? generatePeerId(randomBytes);
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
        route: (infoHash) => {
          const torrent = this.torrents.get(infoHash.toString('hex'));
          if (!torrent) return undefined;
          return (socket, handshake, rest) => {
            const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
            socket.once('close', () => server.send({ type: 'CONNECTION_CLOSED', address }));
            torrent.actor.send({ type: 'PEER.CONNECTION', socket, direction: 'incoming', handshake, rest });
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
    return this.boundPort;
  }

  add(meta: Metainfo, options: AddTorrentOptions): TorrentHandle {
    if (this.torrents.has(meta.infoHashHex)) throw new Error(`torrent ${meta.infoHashHex} is already in the session`);
    const storage = this.storage.open(meta, options.downloadDir);
    const wireTap = this.options.wireTap;
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
        uploadLimit: options.uploadLimit,
        downloadLimit: options.downloadLimit,
        maxPeers: options.maxPeers,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        transport: this.transport,
        trackerTransport: options.noTrackers ? undefined : this.trackerTransport,
        listenPort: this.boundPort,
        localAddress: this.options.host,
        wireTap: wireTap && ((peer) => wireTap(meta, peer)),
      },
    });
    const handle = new TorrentHandle(meta, actor, storage, this.clock, () => this.torrents.delete(meta.infoHashHex));
    this.torrents.set(meta.infoHashHex, handle);
    actor.start();
    if (options.peers?.length) handle.addPeers(options.peers, 'command line');
    return handle;
  }

  async close(): Promise<void> {
    await Promise.all([...this.torrents.values()].map((t) => t.stop()));
    if (this.server) {
      this.server.send({ type: 'STOP' });
      await waitFor(this.server, (s) => s.status !== 'active' || s.matches('stopped'), { timeout: 5000 }).catch(() => undefined);
      this.server.stop();
    }
  }
}
