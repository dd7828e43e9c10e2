import type { Subscription } from 'rxjs';
import { pieceSize } from '../protocol/metainfo/piece-size.js';
import type { PeerMessage } from '../protocol/wire/index.js';
import type { PeerHandle } from './peer-handle.js';
import type { RateLimiter } from './token-bucket.js';

/**
 * Serving blocks: requests are queued per peer (bounded), answered only while we unchoke that
 * peer, and read from storage only when its socket is not congested — so a slow peer costs a few
 * blocks of memory, not its whole queue.
 */

export interface UploadEngineOptions {
  pieceCount: number;
  pieceLength: number;
  totalLength: number;
  /** Do we have (verified) this piece? */
  have: (index: number) => boolean;
  read: (offset: number, length: number) => Promise<Buffer>;
  /**
   * A block from `read` is done with: `reusable` when nothing references its memory any more (the
   * socket has its bytes, or it was not sent); false when a socket that cannot say so still may.
   */
  release?: (block: Buffer, reusable: boolean) => void;
  /** A peer broke the protocol: close it with this reason. */
  onViolation: (key: string, reason: string) => void;
  onReadError: (err: unknown) => void;
  /** Queued requests per peer; what a peer sends beyond it is rejected (fast) or dropped. */
  maxQueuedRequests?: number;
  /** Disk reads in flight per peer. */
  readsInFlight?: number;
  /** `--upload-limit`: a block is read and sent only when the bucket has its bytes. */
  limiter?: RateLimiter;
}

export const MAX_BLOCK_LENGTH = 128 * 1024;
/** Requests a peer may have queued with us (our `reqq`); more are rejected. */
export const DEFAULT_MAX_QUEUED_REQUESTS = 250;

interface Request {
  index: number;
  begin: number;
  length: number;
}

interface UploadPeer {
  handle: PeerHandle;
  subscriptions: Subscription[];
  queue: Request[];
  reading: number;
}

export class UploadEngine {
  private readonly peers = new Map<string, UploadPeer>();
  private readonly maxQueued: number;
  private readonly readsInFlight: number;
  readonly stats = { blocks: 0, bytes: 0, ignoredWhileChoked: 0, overflow: 0 };

  constructor(private readonly options: UploadEngineOptions) {
    this.maxQueued = options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS;
    this.readsInFlight = options.readsInFlight ?? 4;
  }

  addPeer(handle: PeerHandle): void {
    const peer: UploadPeer = { handle, subscriptions: [], queue: [], reading: 0 };
    this.peers.set(handle.key, peer);
    peer.subscriptions.push(
      handle.wire.messages$.subscribe((message) => this.onMessage(peer, message as PeerMessage)),
      handle.wire.drain$.subscribe(() => this.pump(peer)),
    );
  }

  removePeer(key: string): void {
    const peer = this.peers.get(key);
    if (!peer) return;
    for (const s of peer.subscriptions) s.unsubscribe();
    peer.queue.length = 0;
    this.peers.delete(key);
  }

  /** Tells the Peer actor to choke or unchoke; choking drops (fast: rejects) what was queued. */
  setChoking(key: string, choke: boolean): void {
    const peer = this.peers.get(key);
    if (!peer || peer.handle.control.amChoking === choke) return;
    peer.handle.control.command(choke ? 'CHOKE' : 'UNCHOKE');
    if (choke) this.dropQueue(peer);
  }

  /** The peers being served, in the order they joined. */
  handles(): PeerHandle[] {
    return [...this.peers.values()].map((p) => p.handle);
  }

  queuedRequests(key: string): number {
    return this.peers.get(key)?.queue.length ?? 0;
  }

  private onMessage(peer: UploadPeer, message: PeerMessage): void {
    if (message.type === 'request') return this.onRequest(peer, message);
    if (message.type === 'cancel') {
      const i = peer.queue.findIndex((r) => r.index === message.index && r.begin === message.begin && r.length === message.length);
      if (i >= 0) peer.queue.splice(i, 1);
    }
  }

  private onRequest(peer: UploadPeer, request: Request): void {
    const problem = this.invalid(request);
    if (problem) return this.options.onViolation(peer.handle.key, problem);
    if (peer.handle.control.amChoking) {
      // Requests while choked are a race after our choke, not an attack: ignore or reject.
      this.stats.ignoredWhileChoked++;
      return this.reject(peer, request);
    }
    if (peer.queue.length >= this.maxQueued) {
      this.stats.overflow++;
      return this.reject(peer, request);
    }
    peer.queue.push(request);
    this.pump(peer);
  }

  private invalid({ index, begin, length }: Request): string | undefined {
    const { pieceCount, pieceLength, totalLength } = this.options;
    if (index >= pieceCount) return `request for piece ${index} of ${pieceCount}`;
    const size = pieceSize({ pieceCount, pieceLength, length: totalLength }, index);
    if (length === 0 || length > MAX_BLOCK_LENGTH || begin + length > size) return `request outside piece ${index}: ${begin}+${length}`;
    if (!this.options.have(index)) return `request for piece ${index}, which we do not have`;
    return undefined;
  }

  private reject(peer: UploadPeer, request: Request): void {
    // Fields named one by one: `request` may be the received message, whose own `type` must not leak in.
    if (peer.handle.fast) peer.handle.wire.send({ type: 'reject', index: request.index, begin: request.begin, length: request.length });
  }

  private dropQueue(peer: UploadPeer): void {
    for (const request of peer.queue) this.reject(peer, request);
    peer.queue.length = 0;
  }

  private pumpAll(): void {
    for (const peer of this.peers.values()) this.pump(peer);
  }

  private pump(peer: UploadPeer): void {
    const wire = peer.handle.wire;
    while (peer.reading < this.readsInFlight && peer.queue.length > 0 && !wire.congested && !wire.closed) {
      const limiter = this.options.limiter;
      if (limiter && !limiter.tryTake(peer.queue[0]!.length)) {
        limiter.whenAvailable(peer.queue[0]!.length, () => this.pumpAll());
        return;
      }
      const request = peer.queue.shift()!;
      peer.reading++;
      this.options.read(request.index * this.options.pieceLength + request.begin, request.length).then(
        (block) => {
          peer.reading--;
          const release = this.options.release;
          if (!this.peers.has(peer.handle.key)) return release?.(block, true);
          // Choked while the disk was busy: the block is no longer owed, but a fast peer is told so
          // (BEP 6: a choke does not cancel its requests; it would wait for them until it timed out).
          if (peer.handle.control.amChoking) {
            release?.(block, true);
            return this.reject(peer, request);
          }
          if (release && wire.reportsWrites) wire.sendBlock(request.index, request.begin, block, () => release(block, true));
          else {
            wire.sendBlock(request.index, request.begin, block);
            release?.(block, false);
          }
          this.stats.blocks++;
          this.stats.bytes += block.length;
          this.pump(peer);
        },
        (err: unknown) => {
          peer.reading--;
          this.options.onReadError(err);
        },
      );
    }
  }
}
