import { type ActorRefFrom, assign, emit, enqueueActions, fromPromise, sendTo, setup, stopChild, waitFor } from 'xstate';
import type { DownloadEngine } from '../engine/download-engine.js';
import type { ExtensionHub } from '../engine/peer-extensions.js';
import type { WireTap } from '../engine/peer-wire.js';
import type { UploadEngine } from '../engine/upload-engine.js';
import type { RateLimiter } from '../engine/token-bucket.js';
import type { Clock } from '../env/clock.js';
import type { Hasher } from '../env/hasher.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import type { PeerSocket, Transport } from '../env/transport.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { SmartBan } from '../policy/smart-ban.js';
import type { TorrentStorage } from '../storage/storage.js';
import { clientMachine, type OutgoingEncryption } from './client.js';
import { type DownloaderReport, downloaderMachine, recordRoutineVerdict } from './downloader.js';
import { type FileManagerReport, type PieceVerdict, fileManagerMachine } from './file-manager.js';
import { SYSTEM_IDS } from './ids.js';
import type { LocalHave } from './peer.js';
import { peerMachine } from './peer.js';
import { pexMachine } from './pex.js';
import {
  type PeerRegistry,
  admitPeer,
  connectionAdded,
  connectionClosed,
  connectionCount,
  connectionsOf,
  emptyRegistry,
  peerBanned,
  turnoverCandidate,
} from './peer-registry.js';
import { type EngineReport, createTorrentEngines } from './torrent-engines.js';
import { createTorrentExtensions, pexInput } from './torrent-extensions.js';
import { type TrackerClientEmitted, trackerClientMachine } from './tracker-client.js';
import { uploaderMachine } from './uploader.js';
import { type PeerConnection, type WireTapPeer, openPeerConnection } from './peer-connection.js';

/**
 * The Torrent owns one torrent's lifecycle. While `active`, two regions run side by side:
 *
 *   data:     checking ──▶ downloading ──(last wanted piece verified)──▶ complete ──▶ seeding
 *                                                                          └─(no seeding)──▶ stopping
 *                             ◀──────────(SET_SELECTION wants pieces we lack)──────────────┘
 *   activity: running ──PAUSE──▶ paused ──RESUME──▶ running
 *
 * so a piece whose write finishes while paused is still verified and counted, and pausing a
 * seeding torrent pauses it too. STOP (any time) → stopping → stopped; a disk error → failed.
 *
 * It spawns the FileManager, Downloader, Uploader and Client, one Peer actor per connection, keeps
 * the peer registry (src/actors/peer-registry.ts) and wires each handshaken peer into the engines.
 * What we have is the Downloader's to know: it reports each verdict with the counts that follow.
 */

export interface TorrentInput {
  meta: Metainfo;
  storage: TorrentStorage;
  peerId: Buffer;
  clock: Clock;
  rng: () => number;
  /** Keep seeding once complete; otherwise the torrent stops once complete. */
  seed: boolean;
  /** Resume data: pieces known to be present, so the initial hash check is skipped. */
  trustedHave?: Uint8Array;
  /** Resume data of files that did not change: these pieces are taken as present, the others are checked. */
  knownHave?: Uint8Array;
  /**
   * File selection (`--select`): a bitfield (checkExisting layout) of the pieces to fetch; the others
   * are never requested and the torrent is complete once every wanted piece is verified. Default: all.
   */
  wanted?: Uint8Array;
  /** Each piece's priority (-1 low, 0 normal, 1 high): higher ones are started first. Default: all normal. */
  priorities?: Int8Array;
  /** Dials peers (the Client actor). */
  transport: Transport;
  /** Announces to the torrent's trackers; without it the torrent uses only the peers it is given. */
  trackerTransport?: TrackerTransport;
  /** The port we listen on, announced to trackers. */
  listenPort: number;
  /** Dial from this local address (`--bind`). */
  localAddress?: string;
  maxPeers?: number;
  /** BEP 11 peer exchange; default on, always off for private torrents (BEP 27). */
  pex?: boolean;
  /** Bytes per second over all peers (`--upload-limit`, `--download-limit`); undefined = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Limiters whose rates change at run time (the daemon's per-torrent and global limits); they replace the limits above. */
  uploadLimiter?: RateLimiter;
  downloadLimiter?: RateLimiter;
  /** How many pieces a peer may send that fail their hash before it is banned. */
  maxHashFailures?: number;
  pipelineDepth?: number;
  handshakeTimeoutMs?: number;
  /** Hashes pieces off the main thread (worker threads); default: on it. */
  hasher?: Hasher;
  /** Observes each connection's messages (traces, the dashboard): called once per connection. */
  wireTap?: (peer: WireTapPeer) => WireTap | undefined;
  /** Message Stream Encryption of our dials (the Client's); without it we dial in plaintext. */
  encryption?: Omit<OutgoingEncryption, 'infoHash'>;
  /** Our DHT node's UDP port, told to peers in BEP 5 `port` messages; undefined without a DHT (or for a private torrent). */
  dhtPort?: number;
  /**
   * Where the reports of routine verified pieces go, without a transition of this machine (in a
   * swarm peer, a transition per piece was 5 % of its CPU). Without it they come through the
   * Torrent, emitted as `piece-verified` like the others.
   */
  onPieceVerified?: (event: PieceVerifiedEvent) => void;
}

export type { WireTapPeer } from './peer-connection.js';

export type TorrentEvent =
  | FileManagerReport
  | DownloaderReport
  | EngineReport
  /** `source`: where an outgoing peer's address came from (tracker, pex, lsd, manual…). */
  | ({ type: 'PEER.CONNECTION' } & PeerConnection)
  | { type: 'PEER.READY'; key: string; remotePeerId: Buffer; fast: boolean; client?: string }
  | { type: 'PEER.INTERESTED'; key: string }
  | { type: 'PEER.CLOSED'; key: string; reason: string }
  | { type: 'TRACKER.EVENT'; event: TrackerClientEmitted }
  | { type: 'ADD_PEERS'; peers: { host: string; port: number }[]; source: string }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  /** Announce to the trackers now (the daemon's torrent_reannounce); the tracker client keeps its minimum interval. */
  | { type: 'REANNOUNCE' }
  /** A new file selection while running (wanted pieces, their priorities); undefined: all, all normal. */
  | { type: 'SET_SELECTION'; wanted?: Uint8Array; priorities?: Int8Array }
  | { type: 'STOP' };

/** A verified piece with the counts that follow it (`have` / `total` count the wanted pieces). */
export type PieceVerifiedEvent = { type: 'piece-verified'; index: number; have: number; total: number };

export type TorrentEmitted =
  | { type: 'checked'; have: number; total: number }
  /** `encryption` when the connection went through an MSE handshake. */
  | { type: 'peer-connected'; address: string; client?: string; direction: 'incoming' | 'outgoing'; source: string; encryption?: 'rc4' | 'mse-plaintext'; transport?: 'utp' }
  | { type: 'peer-closed'; address: string; reason: string }
  /** `have` / `total` count the wanted pieces (all of them without a file selection). */
  | PieceVerifiedEvent
  | { type: 'piece-failed'; index: number; peers: string[] }
  /** A peer was banned (hash-failure strikes, or a corrupt block proven once its piece verified). */
  | { type: 'peer-banned'; address: string; peerId?: string; reason: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'complete' }
  /** A new file selection wants pieces we lack: downloading again after `complete`. */
  | { type: 'incomplete'; have: number; total: number }
  | { type: 'failed'; message: string }
  | { type: 'tracker'; event: TrackerClientEmitted };

export interface TorrentContext extends TorrentInput {
  download: DownloadEngine;
  upload: UploadEngine;
  /** The Downloader's record of the blocks of failed pieces, which it judges when they verify. */
  smartBan: SmartBan;
  /** BEP 10: routes each connection's extension messages to ut_metadata, ut_pex… */
  extensions: ExtensionHub;
  registry: PeerRegistry;
  tracker?: ActorRefFrom<typeof trackerClientMachine>;
  error?: string;
  /** Pieces looked at by the initial check so far (written by the check as it goes, without a transition each). */
  check: { checked: number };
}

type Ev<T extends TorrentEvent['type']> = Extract<TorrentEvent, { type: T }>;

/** A peer younger than this is never replaced by a newcomer: it has not had the time to show interest. */
const TURNOVER_MIN_AGE_MS = 10_000;

export const torrentMachine = setup({
  types: {
    input: {} as TorrentInput,
    context: {} as TorrentContext,
    events: {} as TorrentEvent,
    emitted: {} as TorrentEmitted,
  },
  actors: {
    fileManager: fileManagerMachine,
    downloader: downloaderMachine,
    uploader: uploaderMachine,
    peer: peerMachine,
    client: clientMachine,
    pex: pexMachine,
    tracker: trackerClientMachine,
    /** Flushes the files and gives the tracker a few seconds to hear `stopped`. */
    shutdown: fromPromise<void, { storage: TorrentStorage; tracker?: ActorRefFrom<typeof trackerClientMachine> }>(async ({ input }) => {
      await input.storage.flush();
      if (input.tracker) await waitFor(input.tracker, (s) => s.status !== 'active', { timeout: 6000 }).catch(() => undefined);
    }),
  },
  guards: {
    everythingFound: (_, counts: { have: number; total: number }) => counts.have === counts.total,
    wantsMore: (_, counts: { have: number; total: number }) => counts.have < counts.total,
    shouldSeed: ({ context }) => context.seed,
    roomForPeer: ({ context }) => connectionCount(context.registry) < (context.maxPeers ?? 50),
    /** An incoming peer (its handshake read) may replace one that has done nothing for a while. */
    canMakeRoom: ({ context }, connection: Ev<'PEER.CONNECTION'>) =>
      connection.handshake !== undefined && turnoverCandidate(context.registry, context.clock.now(), TURNOVER_MIN_AGE_MS) !== undefined,
  },
  actions: {
    tellDownloaderChecked: sendTo('downloader', (_, have: Uint8Array) => ({ type: 'CHECKED' as const, have })),
    /** Trackers are told about us once we know what we have (`left` is right from the first announce). */
    startTracker: assign({
      tracker: ({ context, spawn, self }) => {
        if (!context.trackerTransport || context.meta.announce.length === 0 || context.tracker) return context.tracker;
        const { download, upload, meta } = context;
        const tracker = spawn('tracker', {
          id: 'tracker',
          systemId: SYSTEM_IDS.tracker,
          input: {
            tiers: meta.announce,
            infoHash: meta.infoHash,
            peerId: context.peerId,
            port: context.listenPort,
            transport: context.trackerTransport,
            clock: context.clock,
            rng: context.rng,
            stats: () => ({ uploaded: upload.stats.bytes, downloaded: download.stats.bytes, left: download.bytesLeft() }),
            onPeers: (peers) => self.send({ type: 'ADD_PEERS', peers, source: 'tracker' }),
          },
        });
        tracker.on('*', (event) => self.send({ type: 'TRACKER.EVENT', event: event as TrackerClientEmitted }));
        return tracker;
      },
    }),
    emitTrackerEvent: emit((_, event: TrackerClientEmitted) => ({ type: 'tracker' as const, event })),
    emitChecked: emit((_, counts: { have: number; total: number }) => ({ type: 'checked' as const, have: counts.have, total: counts.total })),
    emitVerified: emit((_, v: { index: number; have: number; total: number }) => ({ type: 'piece-verified' as const, index: v.index, have: v.have, total: v.total })),
    emitFailedPiece: emit((_, failure: { index: number; peers: string[] }) => ({ type: 'piece-failed' as const, index: failure.index, peers: failure.peers })),
    /** A peer id was proven or struck out: its connections close and it is refused from now on. */
    banPeer: enqueueActions(({ context, enqueue }, ban: { peerId: string; address: string; reason: string }) => {
      if (context.registry.banned.has(ban.peerId)) return;
      enqueue.assign({ registry: peerBanned(context.registry, ban.peerId) });
      enqueue.emit({ type: 'peer-banned' as const, address: ban.address, peerId: ban.peerId, reason: ban.reason });
      for (const entry of connectionsOf(context.registry, ban.peerId)) enqueue.sendTo(entry.actor, { type: 'CLOSE', reason: ban.reason });
    }),
    emitComplete: emit({ type: 'complete' as const }),
    tellUploaderSeeding: sendTo('uploader', { type: 'SEEDING' as const }),
    tellUploaderLeeching: sendTo('uploader', { type: 'LEECHING' as const }),
    forwardSelection: sendTo('downloader', (_, selection: Ev<'SET_SELECTION'>) => selection),
    emitIncomplete: emit((_, counts: { have: number; total: number }) => ({ type: 'incomplete' as const, have: counts.have, total: counts.total })),
    recordError: assign({ error: (_, message: string) => message }),
    emitFailure: emit(({ context }) => ({ type: 'failed' as const, message: context.error ?? 'failed' })),
    acceptConnection: assign(({ context, spawn, self }, connection: Ev<'PEER.CONNECTION'>) => {
      const download = context.download;
      const extensions = context.extensions;
      const { key, address, wire, entry } = openPeerConnection(connection, { ...context, hub: extensions });
      const actor = spawn('peer', {
        id: key,
        input: {
          wire,
          direction: connection.direction,
          infoHash: context.meta.infoHash,
          localPeerId: context.peerId,
          pieceCount: context.meta.pieceCount,
          remoteHandshake: connection.handshake,
          handshakeTimeoutMs: context.handshakeTimeoutMs,
          localHave: () => localHave(download),
          extensionHandshake: () => extensions.handshakePayload(address),
          dhtPort: context.dhtPort,
        },
      });
      actor.on('connected', ({ remote, client }) =>
        self.send({ type: 'PEER.READY', key, remotePeerId: remote.peerId, fast: remote.flags.fastExtension, client }),
      );
      actor.on('interested', () => self.send({ type: 'PEER.INTERESTED', key }));
      actor.on('closed', ({ reason }) => self.send({ type: 'PEER.CLOSED', key, reason }));
      return { registry: connectionAdded(context.registry, { ...entry, actor }) };
    }),
    refuseConnection: (_, socket: PeerSocket) => socket.destroy(),
    makeRoom: ({ context }) => {
      turnoverCandidate(context.registry, context.clock.now(), TURNOVER_MIN_AGE_MS)?.actor.send({
        type: 'CLOSE',
        reason: 'evicted for a newcomer: no interest either way and nothing exchanged',
      });
    },
    /** A handshake completed: admitted (banned peers and the losing one of two duplicate connections are closed), then wired in. */
    registerPeer: enqueueActions(({ context, enqueue }, ready: Ev<'PEER.READY'>) => {
      const admission = admitPeer(context.registry, ready.key, { peerId: ready.remotePeerId, fast: ready.fast, client: ready.client }, context.peerId);
      if (admission.drop) {
        const dropped = context.registry.entries.get(admission.drop.key);
        if (dropped) enqueue.sendTo(dropped.actor, { type: 'CLOSE', reason: admission.drop.reason });
      }
      if (!admission.admitted) return;
      const { handle, registry } = admission;
      enqueue.assign({ registry });
      enqueue.sendTo('client', { type: 'PEER_CONNECTED', address: handle.address });
      enqueue.sendTo('pex', { type: 'PEER_CONNECTED', key: ready.key, address: handle.address, direction: registry.entries.get(ready.key)!.direction });
      enqueue.sendTo('downloader', { type: 'PEER_ADDED', peer: handle });
      enqueue.sendTo('uploader', { type: 'PEER_ADDED', peer: handle });
      const entry = registry.entries.get(ready.key)!;
      enqueue.emit({ type: 'peer-connected' as const, address: handle.address, client: ready.client, direction: entry.direction, source: entry.source, ...(entry.encryption ? { encryption: entry.encryption } : {}), ...(entry.transport ? { transport: entry.transport } : {}) });
    }),
    forwardInterested: sendTo('uploader', (_, key: string) => ({ type: 'PEER_INTERESTED' as const, key })),
    forgetPeer: enqueueActions(({ context, enqueue }, closed: Ev<'PEER.CLOSED'>) => {
      const entry = context.registry.entries.get(closed.key);
      if (!entry) return;
      enqueue.assign({ registry: connectionClosed(context.registry, closed.key) });
      const redial = !/ourselves|another torrent|banned/.test(closed.reason);
      enqueue.sendTo('client', { type: 'PEER_CLOSED', address: entry.address, reason: closed.reason, redial });
      if (entry.handle) {
        enqueue.sendTo('downloader', { type: 'PEER_REMOVED', key: closed.key });
        enqueue.sendTo('uploader', { type: 'PEER_REMOVED', key: closed.key });
        enqueue.sendTo('pex', { type: 'PEER_CLOSED', key: closed.key });
      }
    }),
    stopPeerActor: stopChild((_, key: string) => key),
    emitPeerClosed: emit((_, closed: Ev<'PEER.CLOSED'>) => ({
      type: 'peer-closed' as const,
      address: closed.key.replace(/#\d+$/, ''),
      reason: closed.reason,
    })),
    closePeer: ({ context }, violation: { key: string; reason: string }) => {
      context.registry.entries.get(violation.key)?.actor.send({ type: 'CLOSE', reason: violation.reason });
    },
    closeAllPeers: ({ context }) => {
      for (const entry of context.registry.entries.values()) entry.actor.send({ type: 'CLOSE', reason: 'torrent stopped' });
    },
    stopClientAndTracker: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo('client', { type: 'STOP' });
      if (context.tracker) enqueue.sendTo(context.tracker, { type: 'STOP' });
    }),
    tellTrackerCompleted: enqueueActions(({ context, enqueue }) => {
      if (context.tracker) enqueue.sendTo(context.tracker, { type: 'COMPLETED' });
    }),
    tellTrackerReannounce: enqueueActions(({ context, enqueue }) => {
      if (context.tracker) enqueue.sendTo(context.tracker, { type: 'REANNOUNCE' });
    }),
    addPeers: sendTo('client', (_, added: Ev<'ADD_PEERS'>) => ({ type: 'ADD_PEERS' as const, peers: added.peers, source: added.source })),
    /** Paused: no requests (Downloader), every peer choked (Uploader), no dials (Client); connections stay open. */
    pauseChildren: enqueueActions(({ enqueue }) => {
      for (const child of ['downloader', 'uploader', 'client'] as const) enqueue.sendTo(child, { type: 'PAUSE' });
    }),
    resumeChildren: enqueueActions(({ enqueue }) => {
      for (const child of ['downloader', 'uploader', 'client'] as const) enqueue.sendTo(child, { type: 'RESUME' });
    }),
    emitPaused: emit({ type: 'paused' as const }),
    emitResumed: emit({ type: 'resumed' as const }),
  },
}).createMachine({
  id: 'torrent',
  context: ({ input, self }) => ({
    ...input,
    ...createTorrentEngines(
      input,
      (report) => self.send(report),
      // Before the FileManager is ready no piece can be complete (nothing is requested before the check).
      (piece) => self.system.get(SYSTEM_IDS.verifier)?.send(piece),
    ),
    smartBan: new SmartBan(),
    extensions: createTorrentExtensions(input),
    registry: emptyRegistry,
    check: { checked: 0 },
  }),
  invoke: [
    {
      id: 'files',
      systemId: SYSTEM_IDS.files,
      src: 'fileManager',
      input: ({ context, self }) => ({
        meta: context.meta,
        storage: context.storage,
        trustedHave: context.trustedHave,
        knownHave: context.knownHave,
        hasher: context.hasher,
        onCheckProgress: (checked: number) => (context.check.checked = checked),
        // Verdicts are the Downloader's to judge, whatever the Torrent's regions are doing (a write may finish while paused);
        // a routine one it would only record and report is recorded here, and its report goes to onPieceVerified.
        onVerdict: (verdict: PieceVerdict) => {
          const report = recordRoutineVerdict(context.download, context.smartBan, verdict);
          if (!report) self.system.get(SYSTEM_IDS.downloader)?.send(verdict);
          else if (context.onPieceVerified) context.onPieceVerified({ type: 'piece-verified', index: report.index, have: report.have, total: report.total });
          else self.send(report);
        },
      }),
    },
    {
      id: 'client',
      systemId: SYSTEM_IDS.client,
      src: 'client',
      input: ({ context, self }) => ({
        transport: context.transport,
        clock: context.clock,
        maxPeers: context.maxPeers,
        localAddress: context.localAddress,
        encryption: context.encryption && { ...context.encryption, infoHash: context.meta.infoHash },
        onConnected: (socket: PeerSocket, _address: string, source: string) => self.send({ type: 'PEER.CONNECTION', socket, direction: 'outgoing', source }),
      }),
    },
    {
      id: 'downloader',
      systemId: SYSTEM_IDS.downloader,
      src: 'downloader',
      input: ({ context }) => ({ engine: context.download, maxHashFailures: context.maxHashFailures, smartBan: context.smartBan }),
    },
    {
      id: 'uploader',
      systemId: SYSTEM_IDS.uploader,
      src: 'uploader',
      input: ({ context }) => ({
        engine: context.upload,
        clock: context.clock,
        rng: context.rng,
        peerStats: (peer) => ({
          downloadRate: peer.wire.download.rate(context.clock.now()),
          uploadRate: peer.wire.upload.rate(context.clock.now()),
          lastBlockReceivedAt: context.download.peerStats(peer.key)?.lastBlockAt,
        }),
      }),
    },
    { id: 'pex', systemId: SYSTEM_IDS.pex, src: 'pex', input: ({ context }) => pexInput(context) },
  ],
  initial: 'active',
  states: {
    active: {
      type: 'parallel',
      on: {
        // The Downloader's verdicts are handled whatever the regions are doing: a write may finish while paused.
        'DOWNLOAD.VERIFIED': { actions: { type: 'emitVerified', params: ({ event }) => event } },
        'DOWNLOAD.FAILED': { actions: { type: 'emitFailedPiece', params: ({ event }) => event } },
      },
      states: {
        data: {
          initial: 'checking',
          states: {
            checking: {
              // Peers who connect while we check are wired in; the Downloader requests nothing before CHECKED.
              on: {
                'FILES.CHECKED': { actions: { type: 'tellDownloaderChecked', params: ({ event }) => event.have } },
                'DOWNLOAD.CHECKED': [
                  {
                    guard: { type: 'everythingFound', params: ({ event }) => event },
                    target: 'complete',
                    actions: [{ type: 'emitChecked', params: ({ event }) => event }, 'startTracker'],
                  },
                  { target: 'downloading', actions: [{ type: 'emitChecked', params: ({ event }) => event }, 'startTracker'] },
                ],
              },
            },
            downloading: {
              on: {
                // `completed` is announced only for a download that happened, not for data found complete.
                'DOWNLOAD.VERIFIED': {
                  guard: { type: 'everythingFound', params: ({ event }) => event },
                  target: 'complete',
                  actions: [{ type: 'emitVerified', params: ({ event }) => event }, 'tellTrackerCompleted'],
                },
                // The selection shrank to pieces we have.
                'DOWNLOAD.SELECTION': { guard: { type: 'everythingFound', params: ({ event }) => event }, target: 'complete' },
              },
            },
            complete: {
              entry: ['emitComplete', 'tellUploaderSeeding'],
              always: [{ guard: 'shouldSeed', target: 'seeding' }, { target: '#torrent.stopping' }],
            },
            seeding: {
              on: {
                'DOWNLOAD.SELECTION': {
                  guard: { type: 'wantsMore', params: ({ event }) => event },
                  target: 'downloading',
                  actions: ['tellUploaderLeeching', { type: 'emitIncomplete', params: ({ event }) => event }],
                },
              },
            },
          },
        },
        activity: {
          initial: 'running',
          states: {
            running: { on: { PAUSE: { target: 'paused', actions: ['pauseChildren', 'emitPaused'] } } },
            paused: { on: { RESUME: { target: 'running', actions: ['resumeChildren', 'emitResumed'] } } },
          },
        },
      },
    },
    stopping: {
      entry: ['closeAllPeers', 'stopClientAndTracker'],
      invoke: {
        src: 'shutdown',
        input: ({ context }) => ({ storage: context.storage, tracker: context.tracker }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    stopped: { type: 'final' },
    failed: {
      entry: ['closeAllPeers', 'stopClientAndTracker', 'emitFailure'],
      type: 'final',
    },
  },
  on: {
    'PEER.CONNECTION': [
      { guard: 'roomForPeer', actions: { type: 'acceptConnection', params: ({ event }) => event } },
      {
        guard: { type: 'canMakeRoom', params: ({ event }) => event },
        actions: ['makeRoom', { type: 'acceptConnection', params: ({ event }) => event }],
      },
      { actions: { type: 'refuseConnection', params: ({ event }) => event.socket } },
    ],
    'PEER.READY': { actions: { type: 'registerPeer', params: ({ event }) => event } },
    'PEER.INTERESTED': { actions: { type: 'forwardInterested', params: ({ event }) => event.key } },
    'PEER.CLOSED': {
      actions: [
        { type: 'forgetPeer', params: ({ event }) => event },
        { type: 'stopPeerActor', params: ({ event }) => event.key },
        { type: 'emitPeerClosed', params: ({ event }) => event },
      ],
    },
    'PEER.VIOLATION': { actions: { type: 'closePeer', params: ({ event }) => event } },
    'DOWNLOAD.BANNED': { actions: { type: 'banPeer', params: ({ event }) => event } },
    ADD_PEERS: { actions: { type: 'addPeers', params: ({ event }) => event } },
    REANNOUNCE: { actions: 'tellTrackerReannounce' },
    SET_SELECTION: { actions: { type: 'forwardSelection', params: ({ event }) => event } },
    'TRACKER.EVENT': { actions: { type: 'emitTrackerEvent', params: ({ event }) => event.event } },
    'FILES.ERROR': { target: '.failed', actions: { type: 'recordError', params: ({ event }) => event.message } },
    DISK_ERROR: { target: '.failed', actions: { type: 'recordError', params: ({ event }) => event.message } },
    STOP: { target: '.stopping' },
  },
});

/** What a new peer is told we have, in its greeting. */
function localHave(download: DownloadEngine): LocalHave {
  if (download.hasAll()) return { all: true, bitfield: Buffer.from(download.haveBitfield()) };
  const bitfield = download.haveBitfield();
  if (bitfield.every((byte) => byte === 0)) return { all: false };
  return { all: false, bitfield: Buffer.from(bitfield) };
}
