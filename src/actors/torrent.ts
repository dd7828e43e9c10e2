import { type ActorRefFrom, assign, emit, enqueueActions, fromPromise, sendTo, setup, stopChild, waitFor } from 'xstate';
import { DownloadEngine } from '../engine/download-engine.js';
import { PeerWire, type WireTap } from '../engine/peer-wire.js';
import { PieceCache } from '../engine/piece-cache.js';
import type { PeerHandle } from '../engine/peer-handle.js';
import { TokenBucket } from '../engine/token-bucket.js';
import { UploadEngine } from '../engine/upload-engine.js';
import type { Clock } from '../env/clock.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import type { PeerSocket, Transport } from '../env/transport.js';
import { PiecePicker } from '../policy/piece-picker.js';
import { SmartBan, blockDigests } from '../policy/smart-ban.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import type { Handshake } from '../protocol/wire/index.js';
import { hasPiece } from '../storage/piece-verifier.js';
import type { TorrentStorage } from '../storage/storage.js';
import { downloaderMachine } from './downloader.js';
import { type FileManagerReport, fileManagerMachine } from './file-manager.js';
import { clientMachine } from './client.js';
import { SYSTEM_IDS } from './ids.js';
import { peerMachine } from './peer.js';
import { type TrackerClientEmitted, trackerClientMachine } from './tracker-client.js';
import { uploaderMachine } from './uploader.js';

/**
 * The Torrent orchestrates one torrent: `checking` the data on disk, then `downloading` until every
 * piece is verified, then `seeding` (or `done` when it should not seed); `paused`, `stopping` →
 * `stopped`, and `failed` on a disk error. It spawns the FileManager, Downloader and Uploader, one
 * Peer actor per connection, and wires each ready peer into the engines.
 */

export interface TorrentInput {
  meta: Metainfo;
  storage: TorrentStorage;
  peerId: Buffer;
  clock: Clock;
  rng: () => number;
  /** Keep seeding once complete; otherwise the torrent ends in `done`. */
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
  /** Dials peers (the Client actor). */
  transport: Transport;
  /** Announces to the torrent's trackers; without it the torrent uses only the peers it is given. */
  trackerTransport?: TrackerTransport;
  /** The port we listen on, announced to trackers. */
  listenPort: number;
  /** Dial from this local address (`--bind`). */
  localAddress?: string;
  maxPeers?: number;
  /** Bytes per second over all peers (`--upload-limit`, `--download-limit`); undefined = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** How many pieces a peer may send that fail their hash before it is banned. */
  maxHashFailures?: number;
  pipelineDepth?: number;
  handshakeTimeoutMs?: number;
  /** Observes each connection's messages (traces, the dashboard): called once per connection. */
  wireTap?: (peer: { key: string; address: string; direction: 'incoming' | 'outgoing' }) => WireTap | undefined;
}

export type TorrentEvent =
  | FileManagerReport
  | { type: 'PIECE_WRITTEN'; index: number }
  | { type: 'PIECE_ASSEMBLED'; index: number; blocks: Buffer[] }
  | { type: 'DISK_ERROR'; message: string }
  | { type: 'PEER.CONNECTION'; socket: PeerSocket; direction: 'incoming' | 'outgoing'; handshake?: Handshake; rest?: Buffer }
  | { type: 'PEER.READY'; key: string; remotePeerId: Buffer; fast: boolean; client?: string }
  | { type: 'PEER.INTERESTED'; key: string }
  | { type: 'PEER.CLOSED'; key: string; reason: string }
  | { type: 'PEER.VIOLATION'; key: string; reason: string }
  /** A remote peer id was banned (its sender added it to `banned`): its connections are closed, it is refused from now on. */
  | { type: 'PEER.BANNED'; peerId: string; address: string; reason: string }
  | { type: 'TRACKER.EVENT'; event: TrackerClientEmitted }
  | { type: 'ADD_PEERS'; peers: { host: string; port: number }[]; source: string }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'STOP' };

export type TorrentEmitted =
  | { type: 'checked'; have: number; total: number }
  | { type: 'peer-connected'; address: string; client?: string; direction: 'incoming' | 'outgoing' }
  | { type: 'peer-closed'; address: string; reason: string }
  | { type: 'piece-verified'; index: number; have: number; total: number }
  | { type: 'piece-failed'; index: number; peers: string[] }
  /** A peer was banned (hash-failure strikes, or a corrupt block proven once its piece verified). */
  | { type: 'peer-banned'; address: string; peerId?: string; reason: string }
  | { type: 'complete' }
  | { type: 'failed'; message: string }
  | { type: 'tracker'; event: TrackerClientEmitted };

interface PeerEntry {
  handle?: PeerHandle;
  address: string;
  direction: 'incoming' | 'outgoing';
  wire: PeerWire;
  actor: ActorRefFrom<typeof peerMachine>;
}

export interface TorrentContext extends TorrentInput {
  picker: PiecePicker;
  download: DownloadEngine;
  upload: UploadEngine;
  peers: Map<string, PeerEntry>;
  /** Hash failures per remote peer id (hex), for banning. */
  strikes: Map<string, number>;
  banned: Set<string>;
  /** Who sent which block of the pieces that failed, until they verify (block-level blame). */
  smartBan: SmartBan;
  /** Payload bytes sent to peers whose connections have closed, by remote peer id (hex). */
  uploadedToClosed: Map<string, number>;
  nextPeer: number;
  tracker?: ActorRefFrom<typeof trackerClientMachine>;
  error?: string;
}

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
    tracker: trackerClientMachine,
    /** Flushes the files and gives the tracker a few seconds to hear `stopped`. */
    shutdown: fromPromise<void, { storage: TorrentStorage; tracker?: ActorRefFrom<typeof trackerClientMachine> }>(async ({ input }) => {
      await input.storage.flush();
      if (input.tracker) await waitFor(input.tracker, (s) => s.status !== 'active', { timeout: 6000 }).catch(() => undefined);
    }),
  },
  guards: {
    // Guards run before the Downloader records the verdict: is this the last piece we lack?
    lastMissingPiece: ({ context }) => context.picker.missingCount === 1,
    checkFoundEverything: ({ context, event }) =>
      event.type === 'FILES.CHECKED' &&
      Array.from({ length: context.meta.pieceCount }, (_, i) => i).every((i) => hasPiece(event.have, i) || !context.picker.isWanted(i)),
    shouldSeed: ({ context }) => context.seed,
    roomForPeer: ({ context }) => context.peers.size < (context.maxPeers ?? 50),
  },
  actions: {
    applyCheck: ({ context, event }) => {
      if (event.type !== 'FILES.CHECKED') return;
      for (let i = 0; i < context.meta.pieceCount; i++) if (hasPiece(event.have, i)) context.picker.setHave(i);
    },
    tellDownloaderChecked: sendTo('downloader', { type: 'CHECKED' as const }),
    /** Trackers are told about us once we know what we have (`left` is right from the first announce). */
    startTracker: assign({
      tracker: ({ context, spawn, self }) => {
        if (!context.trackerTransport || context.meta.announce.length === 0 || context.tracker) return context.tracker;
        const { download, upload, picker, meta } = context;
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
            stats: () => ({ uploaded: upload.stats.bytes, downloaded: download.stats.bytes, left: bytesLeft(meta, picker) }),
            onPeers: (peers, source) => self.send({ type: 'ADD_PEERS', peers, source }),
          },
        });
        tracker.on('*', (event) => self.send({ type: 'TRACKER.EVENT', event: event as TrackerClientEmitted }));
        return tracker;
      },
    }),
    emitTrackerEvent: emit(({ event }) => ({ type: 'tracker' as const, event: (event as Extract<TorrentEvent, { type: 'TRACKER.EVENT' }>).event })),
    // Peers that connected while we checked were told we had nothing: tell them what we found.
    announceCheckedPieces: ({ context }) => {
      for (const entry of context.peers.values()) {
        if (!entry.handle) continue;
        for (let index = 0; index < context.meta.pieceCount; index++) {
          if (context.picker.have(index)) entry.wire.send({ type: 'have', index });
        }
      }
    },
    emitChecked: emit(({ context }) => ({
      type: 'checked' as const,
      have: context.picker.haveCount,
      total: context.meta.pieceCount,
    })),
    verifyPiece: sendTo('files', ({ event }) => ({ type: 'VERIFY' as const, index: (event as { index: number }).index })),
    storePiece: sendTo('files', ({ event }) => {
      const e = event as Extract<TorrentEvent, { type: 'PIECE_ASSEMBLED' }>;
      return { type: 'STORE' as const, index: e.index, blocks: e.blocks };
    }),
    forwardVerified: sendTo('downloader', ({ event }) => ({ type: 'PIECE_VERIFIED' as const, index: (event as { index: number }).index })),
    emitVerified: emit(({ context, event }) => {
      const index = (event as { index: number }).index;
      // The Downloader records the piece in the picker after this transition: count it here.
      const have = context.picker.haveCount + (context.picker.have(index) ? 0 : 1);
      return { type: 'piece-verified' as const, index, have, total: context.meta.pieceCount };
    }),
    /**
     * Who sent which block of a failed piece is remembered, so that once the piece verifies the liar
     * is known for sure (judgeBlocks: banned at once, its co-senders never blamed). Strikes (a ban at
     * maxHashFailures) go only where the blame is plain without that proof: a piece with a single
     * sender, or a piece written block by block (too big to assemble), whose senders all get one.
     * A single sender is not banned at once: it may be an honest peer with one rotten piece, and if
     * it lied the proof follows as soon as the piece verifies from anyone.
     */
    blameAndForwardFailure: ({ context, event, self }) => {
      if (event.type !== 'FILES.PIECE_FAILED') return;
      const evidence = context.download.pieceEvidence(event.index);
      let blamed: { peer: string; address: string }[];
      if (evidence) {
        const digests = blockDigests(evidence.blocks);
        context.smartBan.pieceFailed(
          event.index,
          evidence.senders.map((sender, i) => sender && { peer: sender.peer, address: sender.address, digest: digests[i]! }),
        );
        const senders = new Map(evidence.senders.filter((s) => s !== undefined).map((s) => [s.peer, s]));
        blamed = senders.size === 1 ? [...senders.values()] : [];
      } else {
        blamed = [];
        for (const key of context.download.contributorsOf(event.index)) {
          const entry = context.peers.get(key);
          const peer = entry?.handle?.actor.getSnapshot().context.remote?.peerId.toString('hex');
          if (entry && peer) blamed.push({ peer, address: entry.address });
        }
      }
      for (const { peer, address } of blamed) {
        // Pieces still in flight from a peer already banned tell nothing new.
        if (context.banned.has(peer)) continue;
        const strikes = (context.strikes.get(peer) ?? 0) + 1;
        context.strikes.set(peer, strikes);
        if (strikes >= (context.maxHashFailures ?? 3)) {
          // Recorded now, so that later verdicts in this same mailbox do not ban it twice.
          context.banned.add(peer);
          const reason = `banned: sent ${strikes} piece${strikes === 1 ? '' : 's'} that failed their hash`;
          self.send({ type: 'PEER.BANNED', peerId: peer, address, reason });
        }
      }
      self.getSnapshot().children['downloader']?.send({ type: 'PIECE_FAILED', index: event.index });
    },
    /** A piece that failed before has verified: whoever sent a block that differs from the good one is banned. */
    judgeBlocks: ({ context, event, self }) => {
      if (event.type !== 'FILES.PIECE_VERIFIED' || !context.smartBan.has(event.index)) return;
      const evidence = context.download.pieceEvidence(event.index);
      // Verified without its blocks in memory (written block by block): nothing to compare with.
      // Peers cleared by the verdict were never struck for a shared failure: nothing to take back.
      const verdict = context.smartBan.pieceVerified(event.index, evidence ? blockDigests(evidence.blocks) : []);
      for (const { peer, address, block } of verdict.guilty) {
        if (context.banned.has(peer)) continue;
        context.banned.add(peer);
        self.send({ type: 'PEER.BANNED', peerId: peer, address, reason: `banned: sent a corrupt block (piece ${event.index}, block ${block})` });
      }
    },
    /** Closes the connections of a peer just banned (already in `banned`) and tells the world. */
    banPeer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'PEER.BANNED') return;
      context.banned.add(event.peerId);
      enqueue.emit({ type: 'peer-banned' as const, address: event.address, peerId: event.peerId, reason: event.reason });
      for (const entry of context.peers.values()) {
        if (entry.actor.getSnapshot().context.remote?.peerId.toString('hex') === event.peerId) {
          entry.actor.send({ type: 'CLOSE', reason: event.reason });
        }
      }
    }),
    emitFailedPiece: emit(({ context, event }) => ({
      type: 'piece-failed' as const,
      index: (event as { index: number }).index,
      peers: context.download.contributorsOf((event as { index: number }).index),
    })),
    emitComplete: emit({ type: 'complete' as const }),
    tellUploaderSeeding: sendTo('uploader', { type: 'SEEDING' as const }),
    recordError: assign({ error: ({ event }) => ('message' in event ? String(event.message) : 'failed') }),
    emitFailure: emit(({ context }) => ({ type: 'failed' as const, message: context.error ?? 'failed' })),
    acceptConnection: assign(({ context, event, spawn, self }) => {
      if (event.type !== 'PEER.CONNECTION') return {};
      const address = `${event.socket.remoteAddress ?? '?'}:${event.socket.remotePort ?? 0}`;
      const key = `${address}#${context.nextPeer}`;
      const tap = context.wireTap?.({ key, address, direction: event.direction });
      // The server read an incoming handshake before the torrent was known: show it to the tap first.
      if (tap && event.handshake) tap('in', event.handshake);
      const wire = new PeerWire(event.socket, {
        clock: context.clock,
        expectHandshake: event.handshake === undefined,
        initialBytes: event.rest,
        tap,
      });
      const actor = spawn('peer', {
        id: key,
        input: {
          wire,
          direction: event.direction,
          infoHash: context.meta.infoHash,
          localPeerId: context.peerId,
          pieceCount: context.meta.pieceCount,
          remoteHandshake: event.handshake,
          handshakeTimeoutMs: context.handshakeTimeoutMs,
          localHave: () => localHave(context.picker, context.meta.pieceCount),
        },
      });
      actor.on('connected', ({ remote, client }) =>
        self.send({ type: 'PEER.READY', key, remotePeerId: remote.peerId, fast: remote.flags.fastExtension, client }),
      );
      actor.on('interested', () => self.send({ type: 'PEER.INTERESTED', key }));
      actor.on('closed', ({ reason }) => self.send({ type: 'PEER.CLOSED', key, reason }));
      context.peers.set(key, { address, direction: event.direction, wire, actor });
      return { nextPeer: context.nextPeer + 1 };
    }),
    refuseConnection: ({ event }) => {
      if (event.type === 'PEER.CONNECTION') event.socket.destroy();
    },
    registerPeer: ({ context, event, self }) => {
      if (event.type !== 'PEER.READY') return;
      const entry = context.peers.get(event.key);
      if (!entry) return;
      const remoteId = event.remotePeerId.toString('hex');
      if (context.banned.has(remoteId)) {
        return self.send({ type: 'PEER.VIOLATION', key: event.key, reason: 'banned peer' });
      }
      for (const [key, other] of context.peers) {
        if (key !== event.key && other.handle && other.actor.getSnapshot().context.remote?.peerId.equals(event.remotePeerId)) {
          // Two peers that dial each other at once must close the same one of their two connections,
          // or both close and neither stays: keep the one dialled by the peer with the lower id.
          const keep = context.peerId.compare(event.remotePeerId) < 0 ? 'outgoing' : 'incoming';
          const drop = entry.direction !== keep || other.direction === keep ? event.key : key;
          self.send({ type: 'PEER.VIOLATION', key: drop, reason: 'duplicate connection to the same peer' });
          if (drop === event.key) return;
          break;
        }
      }
      const handle: PeerHandle = { key: event.key, address: entry.address, wire: entry.wire, actor: entry.actor, fast: event.fast, client: event.client };
      entry.handle = handle;
      self.getSnapshot().children['client']?.send({ type: 'PEER_CONNECTED', address: entry.address });
      self.getSnapshot().children['downloader']?.send({ type: 'PEER_ADDED', peer: handle });
      self.getSnapshot().children['uploader']?.send({ type: 'PEER_ADDED', peer: handle });
    },
    emitPeerConnected: emit(({ context, event }) => {
      const entry = context.peers.get((event as { key: string }).key);
      return {
        type: 'peer-connected' as const,
        address: entry?.address ?? '?',
        client: (event as { client?: string }).client,
        direction: entry?.direction ?? 'incoming',
      };
    }),
    forwardInterested: sendTo('uploader', ({ event }) => ({ type: 'PEER_INTERESTED' as const, key: (event as { key: string }).key })),
    forgetPeer: ({ context, event, self }) => {
      if (event.type !== 'PEER.CLOSED') return;
      const entry = context.peers.get(event.key);
      if (!entry) return;
      context.peers.delete(event.key);
      const remoteId = entry.actor.getSnapshot().context.remote?.peerId.toString('hex');
      if (remoteId && entry.wire.upload.totalBytes > 0) {
        context.uploadedToClosed.set(remoteId, (context.uploadedToClosed.get(remoteId) ?? 0) + entry.wire.upload.totalBytes);
      }
      const redial = !/ourselves|another torrent|banned/.test(event.reason);
      self.getSnapshot().children['client']?.send({ type: 'PEER_CLOSED', address: entry.address, reason: event.reason, redial });
      if (entry.handle) {
        self.getSnapshot().children['downloader']?.send({ type: 'PEER_REMOVED', key: event.key });
        self.getSnapshot().children['uploader']?.send({ type: 'PEER_REMOVED', key: event.key });
      }
    },
    stopPeerActor: stopChild(({ event }) => (event as { key: string }).key),
    emitPeerClosed: emit(({ context, event }) => ({
      type: 'peer-closed' as const,
      address: (event as { key: string }).key.replace(/#\d+$/, ''),
      reason: (event as { reason: string }).reason,
    })),
    closePeer: ({ context, event }) => {
      if (event.type !== 'PEER.VIOLATION') return;
      context.peers.get(event.key)?.actor.send({ type: 'CLOSE', reason: event.reason });
    },
    closeAllPeers: ({ context }) => {
      for (const entry of context.peers.values()) entry.actor.send({ type: 'CLOSE', reason: 'torrent stopped' });
    },
    stopClientAndTracker: ({ context, self }) => {
      self.getSnapshot().children['client']?.send({ type: 'STOP' });
      context.tracker?.send({ type: 'STOP' });
    },
    tellTrackerCompleted: ({ context }) => context.tracker?.send({ type: 'COMPLETED' }),
    addPeers: sendTo('client', ({ event }) => {
      const e = event as Extract<TorrentEvent, { type: 'ADD_PEERS' }>;
      return { type: 'ADD_PEERS' as const, peers: e.peers, source: e.source };
    }),
    pauseDownload: sendTo('downloader', { type: 'PAUSE' as const }),
    resumeDownload: sendTo('downloader', { type: 'RESUME' as const }),
  },
}).createMachine({
  id: 'torrent',
  context: ({ input, self }) => {
    const picker = new PiecePicker({ pieceCount: input.meta.pieceCount, pieceLength: input.meta.pieceLength, totalLength: input.meta.length });
    if (input.wanted) for (let i = 0; i < input.meta.pieceCount; i++) if (!hasPiece(input.wanted, i)) picker.setWanted(i, false);
    const download = new DownloadEngine({
      picker,
      clock: input.clock,
      rng: input.rng,
      pieceLength: input.meta.pieceLength,
      pipelineDepth: input.pipelineDepth,
      limiter: input.downloadLimit ? new TokenBucket(input.downloadLimit, input.clock) : undefined,
      write: (offset, block) => input.storage.write(offset, block),
      onPieceWritten: (index) => self.send({ type: 'PIECE_WRITTEN', index }),
      onPieceAssembled: (index, blocks) => self.send({ type: 'PIECE_ASSEMBLED', index, blocks }),
      onWriteError: (err) => self.send({ type: 'DISK_ERROR', message: `write failed: ${describe(err)}` }),
      onViolation: (key, reason) => self.send({ type: 'PEER.VIOLATION', key, reason }),
    });
    const cache = new PieceCache(
      { pieceLength: input.meta.pieceLength, pieceCount: input.meta.pieceCount, totalLength: input.meta.length },
      (offset, length) => input.storage.read(offset, length),
    );
    const upload = new UploadEngine({
      pieceCount: input.meta.pieceCount,
      pieceLength: input.meta.pieceLength,
      totalLength: input.meta.length,
      have: (index) => picker.have(index),
      limiter: input.uploadLimit ? new TokenBucket(input.uploadLimit, input.clock) : undefined,
      read: (offset, length) => cache.read(offset, length),
      onViolation: (key, reason) => self.send({ type: 'PEER.VIOLATION', key, reason }),
      onReadError: (err) => self.send({ type: 'DISK_ERROR', message: `read failed: ${describe(err)}` }),
    });
    return { ...input, picker, download, upload, peers: new Map(), strikes: new Map(), banned: new Set(), smartBan: new SmartBan(), uploadedToClosed: new Map(), nextPeer: 1 };
  },
  invoke: [
    {
      id: 'files',
      systemId: SYSTEM_IDS.files,
      src: 'fileManager',
      input: ({ context }) => ({ meta: context.meta, storage: context.storage, trustedHave: context.trustedHave, knownHave: context.knownHave }),
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
        onConnected: (socket: PeerSocket) => self.send({ type: 'PEER.CONNECTION', socket, direction: 'outgoing' }),
      }),
    },
    {
      id: 'downloader',
      systemId: SYSTEM_IDS.downloader,
      src: 'downloader',
      input: ({ context }) => ({ engine: context.download, picker: context.picker }),
    },
    {
      id: 'uploader',
      systemId: SYSTEM_IDS.uploader,
      src: 'uploader',
      input: ({ context }) => ({
        engine: context.upload,
        clock: context.clock,
        rng: context.rng,
        peerStats: (peer: PeerHandle) => ({
          downloadRate: peer.wire.download.rate(context.clock.now()),
          uploadRate: peer.wire.upload.rate(context.clock.now()),
          lastBlockReceivedAt: context.download.peerStats(peer.key)?.lastBlockAt,
        }),
      }),
    },
  ],
  initial: 'checking',
  states: {
    checking: {
      on: {
        'FILES.CHECKED': [
          { guard: 'checkFoundEverything', target: 'complete', actions: ['applyCheck', 'announceCheckedPieces', 'tellDownloaderChecked', 'emitChecked', 'startTracker'] },
          { target: 'downloading', actions: ['applyCheck', 'announceCheckedPieces', 'tellDownloaderChecked', 'emitChecked', 'startTracker'] },
        ],
        // Peers who connect while we check are wired in; the download engine waits for CHECKED.
      },
    },
    downloading: {
      on: {
        'FILES.PIECE_VERIFIED': [
          // `completed` is announced only for a download that happened, not for data found complete.
          { guard: 'lastMissingPiece', target: 'complete', actions: ['judgeBlocks', 'forwardVerified', 'emitVerified', 'tellTrackerCompleted'] },
          { actions: ['judgeBlocks', 'forwardVerified', 'emitVerified'] },
        ],
        // Emitted first: forwarding the failure makes the Downloader forget who contributed.
        'FILES.PIECE_FAILED': { actions: ['emitFailedPiece', 'blameAndForwardFailure'] },
        PAUSE: { target: 'paused', actions: 'pauseDownload' },
      },
    },
    paused: {
      on: { RESUME: { target: 'downloading', actions: 'resumeDownload' } },
    },
    complete: {
      entry: ['emitComplete', 'tellUploaderSeeding'],
      always: [{ guard: 'shouldSeed', target: 'seeding' }, { target: 'stopping' }],
    },
    seeding: {},
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
    'PEER.CONNECTION': [{ guard: 'roomForPeer', actions: 'acceptConnection' }, { actions: 'refuseConnection' }],
    'PEER.READY': { actions: ['registerPeer', 'emitPeerConnected'] },
    'PEER.INTERESTED': { actions: 'forwardInterested' },
    'PEER.CLOSED': { actions: ['forgetPeer', 'stopPeerActor', 'emitPeerClosed'] },
    'PEER.VIOLATION': { actions: 'closePeer' },
    'PEER.BANNED': { actions: 'banPeer' },
    ADD_PEERS: { actions: 'addPeers' },
    'TRACKER.EVENT': { actions: 'emitTrackerEvent' },
    PIECE_WRITTEN: { actions: 'verifyPiece' },
    PIECE_ASSEMBLED: { actions: 'storePiece' },
    'FILES.ERROR': { target: '.failed', actions: 'recordError' },
    DISK_ERROR: { target: '.failed', actions: 'recordError' },
    STOP: { target: '.stopping' },
  },
});

function localHave(picker: PiecePicker, pieceCount: number): { bitfield?: Buffer; all: boolean } {
  const missing = picker.missingCount;
  if (missing === 0 && picker.hasAll()) return { all: true, bitfield: Buffer.from(picker.haveBitfield()) };
  if (missing === pieceCount) return { all: false };
  return { all: false, bitfield: Buffer.from(picker.haveBitfield()) };
}

/** Bytes we still lack, for the tracker's `left`. */
function bytesLeft(meta: Metainfo, picker: PiecePicker): number {
  let left = 0;
  for (let i = 0; i < meta.pieceCount; i++) {
    if (!picker.have(i)) left += i === meta.pieceCount - 1 ? meta.length - meta.pieceLength * (meta.pieceCount - 1) : meta.pieceLength;
  }
  return left;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
