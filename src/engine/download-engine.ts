import type { Unsubscribable } from 'rxjs';
import type { Clock } from '../env/clock.js';
import { hasBit } from '../util/bits.js';
import { type BlockRequest, PiecePicker, type PiecePriority, type PieceState } from '../policy/piece-picker.js';
import { pieceSize } from '../protocol/metainfo/piece-size.js';
import { BLOCK_SIZE } from '../protocol/wire/block-size.js';
import type { PeerMessage } from '../protocol/wire/index.js';
import type { PeerHandle } from './peer-handle.js';
import { PieceBuffers } from './piece-buffers.js';
import type { RateLimiter } from './token-bucket.js';

/**
 * The block traffic of a download: availability from bitfields and haves, requests kept in a
 * per-peer pipeline, blocks written to storage with backpressure, completed pieces handed on for
 * verification. The Downloader machine drives it with control events; blocks go straight from the
 * wire's message stream to storage without a machine transition each.
 *
 * The engine owns the piece picker: it is the only writer of which pieces we have, and the rest of
 * the torrent reads them through it (have, haveBitfield, progress, bytesLeft).
 */

export interface DownloadEngineOptions {
  pieceCount: number;
  totalLength: number;
  /** File selection: a bitfield of the pieces to fetch (wire layout). Default: all. */
  wanted?: Uint8Array;
  /** Each piece's priority (-1 low, 0 normal, 1 high; from its files'): higher ones are started first. Default: all normal. */
  priorities?: Int8Array;
  clock: Clock;
  rng: () => number;
  pieceLength: number;
  /** Writes a block at its torrent offset; resolves when stored. */
  write: (offset: number, block: Buffer) => Promise<void>;
  /** A piece has all its blocks on disk: verify it. */
  onPieceWritten: (index: number) => void;
  /** A piece assembled in memory is complete: verify it and write it (blocks in order). */
  onPieceAssembled: (index: number, blocks: Buffer[]) => void;
  /** Pieces up to this size are assembled in memory and written once verified; larger ones are written block by block. */
  assembleLimitBytes?: number;
  /** A write failed: the disk is full or gone. */
  onWriteError: (err: unknown) => void;
  /** Requests outstanding per peer (BitTorrent's own flow control). */
  pipelineDepth?: number;
  requestTimeoutMs?: number;
  /** Bytes received but not yet written above which every socket stops reading. */
  writeHighWaterBytes?: number;
  /** A peer broke the protocol (a block never requested, a `have` out of range): close it with this reason. */
  onViolation?: (key: string, reason: string) => void;
  /** `--download-limit`: a block is requested only when the bucket has its bytes. */
  limiter?: RateLimiter;
  /** Requests we gave up on (cancelled, timed out, choked) remembered per peer, so a late answer is not taken for an attack. */
  maxRecentlyReleased?: number;
}

interface DownloadPeer {
  handle: PeerHandle;
  subscriptions: Unsubscribable[];
  /** Outstanding requests by "index:begin", with when they were sent. */
  outstanding: Map<string, { request: BlockRequest; sentAt: number }>;
  /** Requests given up on ("index:begin:length"), oldest first, bounded: their answers may still be on the way. */
  released: Set<string>;
  /** The peer has at least one piece we still want. */
  hasWanted: boolean;
  /** Pieces this peer sent blocks for (for strikes when a piece fails). */
  contributed: Set<number>;
  /** Who sent a block, as remembered with the block until its piece's verdict. */
  sender: BlockSender;
  blocksReceived: number;
  lastBlockAt: number;
}

/** The sender of a block: its remote peer id (hex; the peer key if unknown) and address. */
export interface BlockSender {
  peer: string;
  address: string;
  /** The connection it came over (the registry key), still named after the peer has left. */
  key: string;
}

/** A complete piece handed over for verification: its blocks in order and who sent each. */
export interface PieceEvidence {
  blocks: Buffer[];
  senders: (BlockSender | undefined)[];
}

const requestKey = (index: number, begin: number) => `${index}:${begin}`;
const releasedKey = (index: number, begin: number, length: number) => `${index}:${begin}:${length}`;

export class DownloadEngine {
  private readonly peers = new Map<string, DownloadPeer>();
  private readonly pendingWritesByPiece = new Map<number, number>();
  private readonly completeAwaitingWrites = new Set<number>();
  /** The pieces being assembled in memory: their buffer, and each block (a view of it) with its sender. */
  private readonly assembly = new Map<number, PieceEvidence & { buffer: Buffer }>();
  /** Complete pieces handed over for verification, with their buffer and blocks, until the verdict. */
  private readonly handedOver = new Map<number, { buffer: Buffer; evidence: PieceEvidence }>();
  private readonly pieceBuffers: PieceBuffers;
  private readonly assemble: boolean;
  private pendingWriteBytes = 0;
  private readingPaused = false;
  /** Nothing is requested before the initial check says what we have (start), nor while paused. */
  private started = false;
  private paused = false;
  private readonly picker: PiecePicker;
  /** Pieces the selection wants. */
  private wantedCount = 0;
  private readonly geometry: { pieceCount: number; pieceLength: number; length: number };
  private readonly pipelineDepth: number;
  private readonly requestTimeoutMs: number;
  private readonly writeHighWaterBytes: number;
  private readonly maxRecentlyReleased: number;
  /** Blocks that arrived and were useful / wasted (duplicates, unrequested). */
  readonly stats = { blocks: 0, bytes: 0, wastedBytes: 0, timeouts: 0 };

  constructor(private readonly options: DownloadEngineOptions) {
    this.geometry = { pieceCount: options.pieceCount, pieceLength: options.pieceLength, length: options.totalLength };
    this.picker = new PiecePicker({ pieceCount: options.pieceCount, pieceLength: options.pieceLength, totalLength: options.totalLength });
    this.applySelection(options.wanted, options.priorities);
    this.pipelineDepth = options.pipelineDepth ?? 128;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.writeHighWaterBytes = options.writeHighWaterBytes ?? 4 * 1024 * 1024;
    this.maxRecentlyReleased = Math.max(options.maxRecentlyReleased ?? 1024, 2 * this.pipelineDepth);
    this.assemble = options.pieceLength <= (options.assembleLimitBytes ?? 16 * 1024 * 1024);
    // Enough reusable buffers for the pieces awaiting their verdict below the high-water mark.
    this.pieceBuffers = new PieceBuffers(options.pieceLength, this.writeHighWaterBytes + 4 * options.pieceLength);
  }

  get peerCount(): number {
    return this.peers.size;
  }

  // ---- what we have (read by the rest of the torrent) ----

  have(index: number): boolean {
    return this.picker.have(index);
  }

  haveBitfield(): Uint8Array {
    return this.picker.haveBitfield();
  }

  pieceState(index: number): PieceState {
    return this.picker.state(index);
  }

  isWanted(index: number): boolean {
    return this.picker.isWanted(index);
  }

  priority(index: number): PiecePriority {
    return this.picker.priority(index);
  }

  /** How many connected peers have the piece (seeds included). */
  availability(index: number): number {
    return this.picker.availability(index);
  }

  /**
   * A new file selection, while running: newly wanted pieces are fetched (peers that have them become
   * interesting), pieces no longer wanted are not started and their outstanding requests are cancelled.
   * `wanted` undefined: every piece; `priorities` undefined: all normal.
   */
  setSelection(wanted: Uint8Array | undefined, priorities: Int8Array | undefined): void {
    this.applySelection(wanted, priorities);
    for (const peer of this.peers.values()) {
      for (const [key, { request }] of peer.outstanding) {
        if (this.picker.isWanted(request.index)) continue;
        peer.outstanding.delete(key);
        this.remember(peer, request);
        this.picker.requestFailed(peer.handle.key, request);
        peer.handle.wire.send({ type: 'cancel', ...request });
      }
      this.updateInterest(peer);
    }
  }

  /** Wanted pieces verified, of all wanted pieces (with a file selection, only those count). */
  progress(): { have: number; total: number } {
    return { have: this.wantedCount - this.picker.missingCount, total: this.wantedCount };
  }

  /** Every wanted piece is verified. */
  isComplete(): boolean {
    return this.picker.isComplete();
  }

  /** Verifying this piece would complete the download: it is the last wanted one missing. */
  completesDownload(index: number): boolean {
    return this.picker.missingCount === 1 && this.picker.isWanted(index) && !this.picker.have(index);
  }

  /** Every piece is verified, wanted or not: a full seed. */
  hasAll(): boolean {
    return this.picker.hasAll();
  }

  /** Bytes of the pieces we lack, wanted or not (the tracker's `left`). */
  bytesLeft(): number {
    let left = 0;
    for (let i = 0; i < this.picker.pieceCount; i++) if (!this.picker.have(i)) left += pieceSize(this.geometry, i);
    return left;
  }

  /**
   * The initial check found these pieces: record them, tell the peers already connected (they were
   * greeted before we knew), and start requesting unless paused.
   */
  start(found: Uint8Array): void {
    for (let i = 0; i < this.picker.pieceCount; i++) if (hasBit(found, i)) this.picker.setHave(i);
    this.started = true;
    for (const peer of this.peers.values()) {
      for (let i = 0; i < this.picker.pieceCount; i++) if (this.picker.have(i)) peer.handle.wire.send({ type: 'have', index: i });
      this.updateInterest(peer);
    }
  }

  addPeer(handle: PeerHandle): void {
    const peer: DownloadPeer = {
      handle,
      subscriptions: [],
      outstanding: new Map(),
      released: new Set(),
      hasWanted: false,
      contributed: new Set(),
      sender: { peer: handle.peerId, address: handle.address, key: handle.key },
      blocksReceived: 0,
      lastBlockAt: this.options.clock.now(),
    };
    this.peers.set(handle.key, peer);
    peer.subscriptions.push(handle.wire.messages$.subscribe((message) => this.onMessage(peer, message as PeerMessage)));
    peer.subscriptions.push(
      handle.control.onAnnouncement((message) => this.onMessage(peer, message)),
      handle.control.onChoke((choked) => (choked ? this.releaseAll(peer, false) : this.fill(peer))),
    );
  }

  removePeer(key: string): void {
    const peer = this.peers.get(key);
    if (!peer) return;
    for (const s of peer.subscriptions) s.unsubscribe();
    this.peers.delete(key);
    this.picker.peerGone(key);
    this.refillAll();
  }

  /** Peers that sent blocks for a piece (to blame when it fails its hash). */
  contributorsOf(index: number): PeerHandle[] {
    return [...this.peers.values()].filter((p) => p.contributed.has(index)).map((p) => p.handle);
  }

  /**
   * The blocks of an assembled piece awaiting its verdict, with their senders (for block-level blame):
   * available from onPieceAssembled until pieceVerified / pieceFailed. Pieces written block by block have none.
   */
  pieceEvidence(index: number): PieceEvidence | undefined {
    return this.handedOver.get(index)?.evidence;
  }

  pieceVerified(index: number): void {
    this.release(index);
    this.picker.pieceVerified(index);
    for (const peer of this.peers.values()) {
      peer.contributed.delete(index);
      peer.handle.wire.send({ type: 'have', index });
      this.updateInterest(peer);
    }
    this.refillAll();
  }

  pieceFailed(index: number): void {
    this.release(index);
    this.picker.pieceFailed(index);
    for (const peer of this.peers.values()) peer.contributed.delete(index);
    this.refillAll();
  }

  /** Paused: every outstanding request is cancelled and nothing new is asked; blocks already under way are still taken. */
  pause(): void {
    this.paused = true;
    for (const peer of this.peers.values()) this.releaseAll(peer, true);
  }

  resume(): void {
    this.paused = false;
    for (const peer of this.peers.values()) this.updateInterest(peer);
  }

  /** The request pipeline and timeout in use (recorded in traces). */
  get limits(): { pipelineDepth: number; requestTimeoutMs: number } {
    return { pipelineDepth: this.pipelineDepth, requestTimeoutMs: this.requestTimeoutMs };
  }

  /** Requests older than the timeout go back to the picker; called every few seconds. */
  checkTimeouts(): void {
    const now = this.options.clock.now();
    for (const peer of this.peers.values()) {
      let expired = false;
      for (const [key, { request, sentAt }] of peer.outstanding) {
        if (now - sentAt < this.requestTimeoutMs) continue;
        peer.outstanding.delete(key);
        this.remember(peer, request);
        this.picker.requestFailed(peer.handle.key, request);
        this.stats.timeouts++;
        expired = true;
      }
      if (expired) this.refillAll();
    }
  }

  /** The peer has every piece (PEX flags it as a seed). */
  peerIsSeed(key: string): boolean {
    return this.picker.peerIsSeed(key);
  }

  /** The share of the pieces the peer has, 0…1, from its bitfield and haves (Transmission's peer `progress`). */
  peerProgress(key: string): number {
    const count = this.picker.peerPieceCount(key) ?? 0;
    return this.picker.pieceCount > 0 ? count / this.picker.pieceCount : 0;
  }

  /** Per-peer numbers for the choker and the progress display. */
  peerStats(key: string): { blocksReceived: number; lastBlockAt: number; outstanding: number } | undefined {
    const peer = this.peers.get(key);
    return peer && { blocksReceived: peer.blocksReceived, lastBlockAt: peer.lastBlockAt, outstanding: peer.outstanding.size };
  }

  private onMessage(peer: DownloadPeer, message: PeerMessage): void {
    const picker = this.picker;
    switch (message.type) {
      case 'piece':
        return this.onBlock(peer, message.index, message.begin, message.block);
      case 'have':
        if (message.index >= picker.pieceCount) return this.violation(peer, `have for piece ${message.index} of ${picker.pieceCount}`);
        picker.peerHave(peer.handle.key, message.index);
        if (!peer.hasWanted && !picker.have(message.index) && picker.isWanted(message.index)) this.updateInterest(peer);
        return;
      case 'bitfield':
        picker.peerBitfield(peer.handle.key, message.bitfield);
        return this.updateInterest(peer);
      case 'have-all':
        picker.peerHaveAll(peer.handle.key);
        return this.updateInterest(peer);
      case 'have-none':
        return this.updateInterest(peer);
      case 'reject': {
        const key = requestKey(message.index, message.begin);
        const entry = peer.outstanding.get(key);
        if (!entry) return;
        peer.outstanding.delete(key);
        picker.requestFailed(peer.handle.key, entry.request);
        return this.fill(peer);
      }
      default:
    }
  }

  private onBlock(peer: DownloadPeer, index: number, begin: number, block: Buffer): void {
    const key = requestKey(index, begin);
    const entry = peer.outstanding.get(key);
    if (!entry || entry.request.length !== block.length) {
      this.stats.wastedBytes += block.length;
      // A late answer to a request we cancelled or that timed out: not hostile, just dropped.
      if (peer.released.has(releasedKey(index, begin, block.length))) return;
      // A block we never asked for (or of another length): the peer is lying or broken.
      return this.violation(peer, `sent a block never requested: piece ${index} at ${begin}, ${block.length} bytes`);
    }
    peer.outstanding.delete(key);
    const result = this.picker.blockReceived(peer.handle.key, entry.request);
    if (!result.accepted) {
      this.stats.wastedBytes += block.length;
      return this.fill(peer);
    }
    for (const other of result.cancelFrom) this.cancelAt(other, entry.request);
    peer.blocksReceived++;
    peer.lastBlockAt = this.options.clock.now();
    peer.contributed.add(index);
    this.stats.blocks++;
    this.stats.bytes += block.length;
    if (this.assemble) this.collect(peer, index, begin, block, result.pieceComplete);
    else this.store(index, begin, block, result.pieceComplete);
    this.fill(peer);
  }

  /** Copies the block into its piece's buffer; a complete piece goes to verification as a whole. */
  private collect(peer: DownloadPeer, index: number, begin: number, block: Buffer, pieceComplete: boolean): void {
    let piece = this.assembly.get(index);
    if (!piece) {
      piece = { buffer: this.pieceBuffers.take(pieceSize(this.geometry, index)), blocks: [], senders: [] };
      this.assembly.set(index, piece);
    }
    block.copy(piece.buffer, begin);
    piece.blocks[begin / BLOCK_SIZE] = piece.buffer.subarray(begin, begin + block.length);
    piece.senders[begin / BLOCK_SIZE] = peer.sender;
    if (!pieceComplete) return;
    this.assembly.delete(index);
    const { buffer, blocks, senders } = piece;
    this.handedOver.set(index, { buffer, evidence: { blocks, senders } });
    this.pendingWriteBytes += buffer.length;
    if (!this.readingPaused && this.pendingWriteBytes > this.writeHighWaterBytes) this.setReading(false);
    this.options.onPieceAssembled(index, blocks);
  }

  /** The verdict on a handed-over piece is in: its buffer is free for the next piece. */
  private release(index: number): void {
    const piece = this.handedOver.get(index);
    if (!piece) return;
    this.handedOver.delete(index);
    this.pendingWriteBytes -= piece.buffer.length;
    this.pieceBuffers.give(piece.buffer);
    if (this.readingPaused && this.pendingWriteBytes <= this.writeHighWaterBytes / 2) this.setReading(true);
  }

  private store(index: number, begin: number, block: Buffer, pieceComplete: boolean): void {
    this.pendingWritesByPiece.set(index, (this.pendingWritesByPiece.get(index) ?? 0) + 1);
    if (pieceComplete) this.completeAwaitingWrites.add(index);
    this.pendingWriteBytes += block.length;
    if (!this.readingPaused && this.pendingWriteBytes > this.writeHighWaterBytes) this.setReading(false);
    // The block is a view of a read buffer that is reused once this message is handled.
    this.options.write(index * this.options.pieceLength + begin, Buffer.from(block)).then(
      () => {
        this.pendingWriteBytes -= block.length;
        if (this.readingPaused && this.pendingWriteBytes <= this.writeHighWaterBytes / 2) this.setReading(true);
        const left = this.pendingWritesByPiece.get(index)! - 1;
        if (left > 0) return void this.pendingWritesByPiece.set(index, left);
        this.pendingWritesByPiece.delete(index);
        if (this.completeAwaitingWrites.delete(index)) this.options.onPieceWritten(index);
      },
      (err: unknown) => this.options.onWriteError(err),
    );
  }

  private setReading(on: boolean): void {
    this.readingPaused = !on;
    for (const peer of this.peers.values()) {
      if (on) peer.handle.wire.resumeReading();
      else peer.handle.wire.pauseReading();
    }
  }

  private cancelAt(key: string, request: BlockRequest): void {
    const peer = this.peers.get(key);
    if (!peer?.outstanding.delete(requestKey(request.index, request.begin))) return;
    this.remember(peer, request);
    peer.handle.wire.send({ type: 'cancel', ...request });
  }

  /** Interested exactly while the peer has a piece we want; tells the Peer actor, which sends it. */
  private updateInterest(peer: DownloadPeer): void {
    if (!this.started || this.paused) return;
    peer.hasWanted = this.picker.isInteresting(peer.handle.key);
    const interested = peer.handle.control.amInterested;
    if (peer.hasWanted && !interested) peer.handle.control.command('INTEREST');
    if (!peer.hasWanted && interested) peer.handle.control.command('UNINTEREST');
    if (peer.hasWanted) this.fill(peer);
  }

  /** Tops the peer's pipeline up to its depth, if it lets us download. */
  private fill(peer: DownloadPeer): void {
    if (!this.started || this.paused || !peer.hasWanted || peer.handle.wire.closed || peer.handle.control.peerChoking) return;
    let room = this.pipelineDepth - peer.outstanding.size;
    if (room < this.pipelineDepth / 4 && peer.outstanding.size > 0) return;
    const limiter = this.options.limiter;
    if (limiter) {
      // Blocks are at most BLOCK_SIZE: request only what the budget pays for, and come back for the rest.
      const affordable = Math.floor(limiter.available() / BLOCK_SIZE);
      if (affordable <= 0) return limiter.whenAvailable(BLOCK_SIZE, () => this.refillAll());
      room = Math.min(room, affordable);
    }
    const requests = this.picker.pickRequests(peer.handle.key, room, { rng: this.options.rng });
    limiter?.take(requests.reduce((sum, r) => sum + r.length, 0));
    const now = this.options.clock.now();
    for (const request of requests) peer.outstanding.set(requestKey(request.index, request.begin), { request, sentAt: now });
    peer.handle.wire.sendAll(requests.map((request) => ({ type: 'request' as const, ...request })));
    if (requests.length === 0 && peer.outstanding.size === 0) this.updateInterestQuietly(peer);
  }

  private updateInterestQuietly(peer: DownloadPeer): void {
    const hasWanted = this.picker.isInteresting(peer.handle.key);
    if (hasWanted === peer.hasWanted) return;
    peer.hasWanted = hasWanted;
    if (!hasWanted && peer.handle.control.amInterested) peer.handle.control.command('UNINTEREST');
  }

  /** Choked (or paused): BEP 3 says outstanding requests are dropped; fast peers reject them instead. */
  private releaseAll(peer: DownloadPeer, cancel: boolean): void {
    if (peer.handle.fast && !cancel) return;
    for (const { request } of peer.outstanding.values()) {
      this.remember(peer, request);
      this.picker.requestFailed(peer.handle.key, request);
      if (cancel) peer.handle.wire.send({ type: 'cancel', ...request });
    }
    peer.outstanding.clear();
    this.refillAll();
  }

  /** Keeps a released request in the peer's bounded memory, dropping the oldest beyond the cap. */
  private remember(peer: DownloadPeer, request: BlockRequest): void {
    const key = releasedKey(request.index, request.begin, request.length);
    peer.released.delete(key);
    peer.released.add(key);
    if (peer.released.size > this.maxRecentlyReleased) peer.released.delete(peer.released.values().next().value!);
  }

  private applySelection(wanted: Uint8Array | undefined, priorities: Int8Array | undefined): void {
    const picker = this.picker;
    let count = 0;
    for (let i = 0; i < picker.pieceCount; i++) {
      const want = !wanted || hasBit(wanted, i);
      picker.setWanted(i, want);
      picker.setPriority(i, Math.sign(priorities?.[i] ?? 0) as PiecePriority);
      if (want) count++;
    }
    this.wantedCount = count;
  }

  private violation(peer: DownloadPeer, reason: string): void {
    this.options.onViolation?.(peer.handle.key, reason);
  }

  private refillAll(): void {
    for (const peer of this.peers.values()) this.fill(peer);
  }
}
