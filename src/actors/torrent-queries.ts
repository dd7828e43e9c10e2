import type { ActorRefFrom } from 'xstate';
import type { PiecePriority, PieceState } from '../policy/piece-picker.js';
import { hasBit } from '../util/bits.js';
import { pieceSize } from '../protocol/metainfo/piece-size.js';
import { type PeerFlags, peerClient, peerFlags, peerStage } from './peer-control.js';
import { uploadedByPeer } from './peer-registry.js';
import type { torrentMachine } from './torrent.js';

/**
 * Read-only views of a Torrent actor: the only code outside torrent.ts that knows its context and
 * state names. The Session's TorrentHandle serves them to the CLI, the dashboard, traces and the demo.
 */

export type TorrentActor = ActorRefFrom<typeof torrentMachine>;

export type TorrentState = 'checking' | 'downloading' | 'seeding' | 'paused' | 'stopping' | 'stopped' | 'failed';

export interface TorrentProgress {
  state: TorrentState;
  /** Wanted pieces verified, of all wanted pieces (with a file selection only those count). */
  have: number;
  total: number;
  /** Payload bytes received and sent in this session. */
  downloaded: number;
  uploaded: number;
  /** Handshaken connections. */
  peers: number;
  downloadRate: number;
  uploadRate: number;
}

export interface PeerInfo extends PeerFlags {
  /** Unique for the session: "host:port#n". */
  key: string;
  address: string;
  direction: 'incoming' | 'outgoing';
  /** MSE with RC4, MSE with the plaintext method, or no MSE handshake. */
  encryption: 'rc4' | 'mse-plaintext' | 'none';
  /** What carries it: TCP or uTP. */
  transport: 'tcp' | 'utp';
  /** Where we learned of the peer: tracker, pex, lsd, manual, magnet… or `incoming`. */
  source: string;
  /** The Peer machine's top state: handshaking, active, closed. */
  stage: string;
  /** Remote peer id (hex), once handshaken. */
  peerId?: string;
  client?: string;
  /** BEP 6 on both sides. */
  fast: boolean;
  downloadRate: number;
  uploadRate: number;
  /** Payload bytes over this connection. */
  downloaded: number;
  uploaded: number;
  /** The share of the torrent the peer has, 0…1 (its bitfield and haves). */
  progress: number;
  /** Our requests outstanding with the peer, and the peer's requests queued with us. */
  requestsOut: number;
  requestsQueued: number;
}

export interface TransferStats {
  /** Blocks and bytes received that were useful; wasted: duplicates and late answers to cancelled requests; timed-out requests. */
  download: { blocks: number; bytes: number; wastedBytes: number; timeouts: number };
  /** Blocks and bytes sent; requests that came while choked; requests beyond the per-peer queue. */
  upload: { blocks: number; bytes: number; ignoredWhileChoked: number; overflow: number };
}

export interface FileProgress {
  /** Path components, relative to the download folder (the first is the torrent's folder for multi-file torrents). */
  path: string[];
  length: number;
  /** Bytes of the file inside verified pieces. */
  bytesDone: number;
  /** Some piece of the file is wanted (file selection). */
  wanted: boolean;
}

export function torrentState(actor: TorrentActor): TorrentState {
  const snapshot = actor.getSnapshot();
  if (snapshot.matches({ active: { activity: 'paused' } })) return 'paused';
  for (const state of ['checking', 'downloading', 'seeding'] as const) if (snapshot.matches({ active: { data: state } })) return state;
  // `complete` is transient: it moves on to seeding or stopping in the same step.
  if (snapshot.matches('stopped')) return 'stopped';
  if (snapshot.matches('failed')) return 'failed';
  return 'stopping';
}

export function torrentProgress(actor: TorrentActor, now: number): TorrentProgress {
  const { context } = actor.getSnapshot();
  let downloadRate = 0;
  let uploadRate = 0;
  let peers = 0;
  for (const entry of context.registry.entries.values()) {
    if (!entry.handle) continue;
    peers++;
    downloadRate += entry.wire.download.rate(now);
    uploadRate += entry.wire.upload.rate(now);
  }
  return {
    state: torrentState(actor),
    ...context.download.progress(),
    downloaded: context.download.stats.bytes,
    uploaded: context.upload.stats.bytes,
    peers,
    downloadRate,
    uploadRate,
  };
}

/** Every wanted piece is verified (and the initial check is over). */
export function torrentComplete(actor: TorrentActor): boolean {
  const snapshot = actor.getSnapshot();
  return snapshot.context.download.isComplete() && !snapshot.matches({ active: { data: 'checking' } });
}

export function torrentError(actor: TorrentActor): string | undefined {
  return actor.getSnapshot().context.error;
}

/** The pieces we have (verified), as a wire bitfield (MSB first). */
export function haveBitfield(actor: TorrentActor): Uint8Array {
  return actor.getSnapshot().context.download.haveBitfield();
}

/** What the piece map shows of one piece. */
export interface PieceView {
  state: PieceState;
  wanted: boolean;
  /** -1 low, 0 normal, 1 high: the highest of its wanted files'. */
  priority: PiecePriority;
}

/** Each piece's state, whether it is wanted, and its priority. */
export function pieceStates(actor: TorrentActor): PieceView[] {
  const { download, meta } = actor.getSnapshot().context;
  return Array.from({ length: meta.pieceCount }, (_, i) => ({ state: download.pieceState(i), wanted: download.isWanted(i), priority: download.priority(i) }));
}

/** Per piece, how many connected peers have it; -1 for the pieces we have (Transmission's `availability`). */
export function pieceAvailability(actor: TorrentActor): number[] {
  const { download, meta } = actor.getSnapshot().context;
  return Array.from({ length: meta.pieceCount }, (_, i) => (download.have(i) ? -1 : download.availability(i)));
}

/** The share of the pieces the initial check has looked at, 0…1; 1 once it is over. */
export function checkProgress(actor: TorrentActor): number {
  const snapshot = actor.getSnapshot();
  if (!snapshot.matches({ active: { data: 'checking' } })) return 1;
  const total = snapshot.context.meta.pieceCount;
  return total > 0 ? Math.min(1, snapshot.context.check.checked / total) : 1;
}

/** Every open connection, handshaken or not. */
export function torrentPeers(actor: TorrentActor, now: number): PeerInfo[] {
  const { registry, download, upload } = actor.getSnapshot().context;
  return [...registry.entries.values()].map((entry) => ({
    key: entry.key,
    address: entry.address,
    direction: entry.direction,
    encryption: entry.encryption ?? 'none',
    transport: entry.transport ?? 'tcp',
    source: entry.source,
    stage: peerStage(entry.actor),
    peerId: entry.handle?.peerId,
    client: entry.handle?.client ?? peerClient(entry.actor),
    fast: entry.handle?.fast ?? false,
    ...peerFlags(entry.actor),
    downloadRate: entry.wire.download.rate(now),
    uploadRate: entry.wire.upload.rate(now),
    downloaded: entry.wire.download.totalBytes,
    uploaded: entry.wire.upload.totalBytes,
    progress: download.peerProgress(entry.key),
    requestsOut: download.peerStats(entry.key)?.outstanding ?? 0,
    requestsQueued: upload.queuedRequests(entry.key),
  }));
}

export function transferStats(actor: TorrentActor): TransferStats {
  const { download, upload } = actor.getSnapshot().context;
  return { download: { ...download.stats }, upload: { ...upload.stats } };
}

/** Banned peer ids, and the hash-failure strikes of the others (remote peer ids, hex). */
export function torrentSuspects(actor: TorrentActor): { banned: string[]; strikes: ReadonlyMap<string, number> } {
  const snapshot = actor.getSnapshot();
  const downloader = snapshot.children.downloader?.getSnapshot();
  return { banned: [...snapshot.context.registry.banned], strikes: downloader?.context.strikes ?? new Map() };
}

/** Per file: its length, the bytes of it inside verified pieces, and whether it is wanted. */
export function torrentFiles(actor: TorrentActor): FileProgress[] {
  const { download, meta } = actor.getSnapshot().context;
  const have = download.haveBitfield();
  return meta.files
    .filter((file) => !file.padding)
    .map((file) => {
      let bytesDone = 0;
      let wanted = false;
      if (file.length > 0) {
        const first = Math.floor(file.offset / meta.pieceLength);
        const last = Math.floor((file.offset + file.length - 1) / meta.pieceLength);
        for (let i = first; i <= last; i++) {
          wanted ||= download.isWanted(i);
          if (!hasBit(have, i)) continue;
          const start = Math.max(file.offset, i * meta.pieceLength);
          const end = Math.min(file.offset + file.length, i * meta.pieceLength + pieceSize(meta, i));
          bytesDone += end - start;
        }
      } else {
        wanted = true;
      }
      return { path: file.path, length: file.length, bytesDone, wanted };
    });
}

/** Payload bytes sent to each peer in this session, by remote peer id (hex), closed connections included. */
export function torrentUploadedByPeer(actor: TorrentActor): Map<string, number> {
  return uploadedByPeer(actor.getSnapshot().context.registry);
}

/** The download engine's pipeline depth and request timeout (recorded in traces). */
export function torrentEngineLimits(actor: TorrentActor): { pipelineDepth: number; requestTimeoutMs: number } {
  return actor.getSnapshot().context.download.limits;
}
