/**
 * Which blocks to request from which peer, for one torrent. Plain data only (typed arrays, Maps of peer
 * ids); no payload bytes, no clock; randomness comes in as `rng`.
 *
 * Every piece is in exactly one state:
 *   untouched  no block requested or received (pickable when wanted; kept in the availability order)
 *   partial    some blocks requested or received (a PartialPiece tracks each block and its requesters)
 *   verifying  every block received, waiting for pieceVerified / pieceFailed; never picked
 *   have       verified (or found on disk); never picked
 *
 * pickRequests(peer) takes, in this order:
 *   1. missing blocks of partial pieces the peer has (finish what is started: fewer half pieces on disk,
 *      pieces to share sooner);
 *   2. new pieces the peer has, of the highest priority it offers (setPriority: high, normal, low, from
 *      the files' priorities, as Transmission and libtorrent order them); within it, a random one while
 *      we have fewer than `randomFirstPieces` (4) pieces, so we quickly hold something to trade; then the
 *      rarest (lowest availability, ties broken by rng);
 *   3. strict endgame: only once no wanted block anywhere is left unrequested, a block already
 *      outstanding at one other peer may be requested from this one too. A block is outstanding at two
 *      peers at most: that is enough to route around one slow peer, and bounds the wasted bandwidth and
 *      the cancel traffic. When the first copy arrives, blockReceived names the other peer in
 *      `cancelFrom`.
 *
 * Availability: per piece, the number of non-seed peers that have it, plus one global count of seeds (a
 * seed raises every piece alike, so it changes no order). A peer whose bitfield fills up becomes a seed.
 * Each peer's bitfield is kept, so peerGone can take its share back out.
 *
 * Cost: a pick starts at the few partial pieces; a new piece comes from the bucketed order (see
 * AvailabilityOrder) of its priority class: O(1) for a seed, a scan from a random point of the lowest
 * bucket otherwise. For a peer with few pickable pieces it scans the peer's bitfield instead, whichever
 * is cheaper. The high and low classes get their order only once a piece is given that priority.
 */
import { AvailabilityOrder } from './availability-order.js';
import { byteLength, forEachSetBit, hasBit, maskedCopy, popcount, setBit } from '../util/bits.js';
import { BlockLayout, type BlockRequest, type TorrentGeometry } from './blocks.js';
import { MISSING, PartialPiece, RECEIVED, REQUESTED } from './partial-piece.js';

export type { BlockRequest } from './blocks.js';

export type PieceState = 'untouched' | 'partial' | 'verifying' | 'have';

/** Transmission's file priorities: low, normal, high. */
export type PiecePriority = -1 | 0 | 1;

const UNTOUCHED = 0;
const PARTIAL = 1;
const VERIFYING = 2;
const HAVE = 3;
const STATE_NAMES: readonly PieceState[] = ['untouched', 'partial', 'verifying', 'have'];

/** Priority classes, in the order they are picked from: 0 high, 1 normal, 2 low. */
const NORMAL_CLASS = 1;
const classOf = (priority: number): number => (priority > 0 ? 0 : priority < 0 ? 2 : NORMAL_CLASS);

export interface PiecePickerOptions extends TorrentGeometry {
  /** Pick random pieces (not the rarest) while we have fewer than this many. Default 4. */
  randomFirstPieces?: number;
}

export interface PickOptions {
  /** Uniform in [0, 1). */
  rng: () => number;
}

export interface BlockResult {
  /** False for a block we did not request from this peer, or already have (an endgame duplicate). */
  accepted: boolean;
  /** Every block of the piece is in: it is now verifying. */
  pieceComplete: boolean;
  /** Other peers that had this block outstanding: send them `cancel`. */
  cancelFrom: string[];
}

interface PeerRecord {
  readonly id: string;
  seed: boolean;
  /** The pieces it has, wire layout; null for a seed. */
  bits: Uint8Array | null;
  /** Pieces it has. */
  count: number;
  /** Non-seeds: pieces it has that are wanted and that we lack. */
  interesting: number;
  /** Keys (piece * blocksPerPiece + block) of the blocks requested from it. */
  readonly outstanding: Set<number>;
}

function rejected(): BlockResult {
  return { accepted: false, pieceComplete: false, cancelFrom: [] };
}

function randomIndex(rng: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

export class PiecePicker {
  readonly layout: BlockLayout;
  private readonly randomFirstPieces: number;
  private readonly pieceState: Uint8Array;
  private readonly wanted: Uint8Array;
  /** Availability (without seeds) of every piece, shared by the orders. */
  private readonly counts: Uint32Array;
  /** The pickable pieces of each priority class, in availability order; a piece is in its class's only. */
  private readonly orders: (AvailabilityOrder | undefined)[];
  private readonly priorityClass: Uint8Array;
  private readonly partials = new Map<number, PartialPiece>();
  /** Partial pieces with at least one MISSING block. */
  private readonly open = new Set<number>();
  private readonly peers = new Map<string, PeerRecord>();
  private seedCount = 0;
  private haveTotal = 0;
  private verifyingTotal = 0;
  /** Wanted pieces we do not have. */
  private missingTotal: number;

  constructor(options: PiecePickerOptions) {
    this.layout = new BlockLayout(options);
    this.randomFirstPieces = options.randomFirstPieces ?? 4;
    const n = this.layout.pieceCount;
    this.pieceState = new Uint8Array(n);
    this.wanted = new Uint8Array(n).fill(1);
    this.counts = new Uint32Array(n);
    const normal = new AvailabilityOrder(n, this.counts);
    this.orders = [undefined, normal, undefined];
    this.priorityClass = new Uint8Array(n).fill(NORMAL_CLASS);
    for (let i = 0; i < n; i++) normal.insert(i);
    this.missingTotal = n;
  }

  // ---- geometry ----

  get pieceCount(): number {
    return this.layout.pieceCount;
  }

  blockCount(piece: number): number {
    return this.layout.blockCount(piece);
  }

  blockLength(piece: number, block: number): number {
    return this.layout.blockLength(piece, block);
  }

  // ---- our pieces ----

  have(index: number): boolean {
    this.checkIndex(index);
    return this.pieceState[index] === HAVE;
  }

  state(index: number): PieceState {
    this.checkIndex(index);
    return STATE_NAMES[this.pieceState[index]!]!;
  }

  get haveCount(): number {
    return this.haveTotal;
  }

  /** Wanted pieces we do not have yet (partial and verifying included). */
  get missingCount(): number {
    return this.missingTotal;
  }

  /** Every wanted piece is verified: the download is done. */
  isComplete(): boolean {
    return this.missingTotal === 0;
  }

  /** Every piece is verified, wanted or not: we are a full seed. */
  hasAll(): boolean {
    return this.haveTotal === this.pieceCount;
  }

  isWanted(index: number): boolean {
    this.checkIndex(index);
    return this.wanted[index] === 1;
  }

  /** Our pieces as a wire bitfield (MSB first). */
  haveBitfield(): Uint8Array {
    const bits = new Uint8Array(byteLength(this.pieceCount));
    for (let i = 0; i < this.pieceCount; i++) if (this.pieceState[i] === HAVE) setBit(bits, i);
    return bits;
  }

  /** Marks a piece as had (e.g. found valid on disk). Requests outstanding for it are dropped. */
  setHave(index: number): void {
    this.checkIndex(index);
    if (this.pieceState[index] !== HAVE) this.markHave(index);
  }

  /** File selection: unwanted pieces are never picked. Blocks already requested stay outstanding. */
  setWanted(index: number, wanted: boolean): void {
    this.checkIndex(index);
    if ((this.wanted[index] === 1) === wanted) return;
    this.wanted[index] = wanted ? 1 : 0;
    const state = this.pieceState[index]!;
    if (state === HAVE) return;
    const delta = wanted ? 1 : -1;
    this.missingTotal += delta;
    for (const peer of this.peers.values()) if (peer.bits && hasBit(peer.bits, index)) peer.interesting += delta;
    if (state === UNTOUCHED) {
      if (wanted) this.orderOf(index).insert(index);
      else this.orderOf(index).remove(index);
    }
  }

  /** Among the new pieces a peer offers, those of a higher priority are always started first. Default normal (0). */
  setPriority(index: number, priority: PiecePriority): void {
    this.checkIndex(index);
    const to = classOf(priority);
    const from = this.orderOf(index);
    if (to === this.priorityClass[index]) return;
    const listed = from.has(index);
    if (listed) from.remove(index);
    this.orders[to] ??= new AvailabilityOrder(this.pieceCount, this.counts);
    this.priorityClass[index] = to;
    if (listed) this.orderOf(index).insert(index);
  }

  priority(index: number): PiecePriority {
    this.checkIndex(index);
    return (NORMAL_CLASS - this.priorityClass[index]!) as PiecePriority;
  }

  /** A completed piece passed its hash check. */
  pieceVerified(index: number): void {
    this.checkIndex(index);
    if (this.pieceState[index] !== VERIFYING) throw new Error(`pieceVerified(${index}): piece is ${this.state(index)}, not verifying`);
    this.markHave(index);
  }

  /** A completed piece failed its hash check: all its blocks are missing again. */
  pieceFailed(index: number): void {
    this.checkIndex(index);
    if (this.pieceState[index] !== VERIFYING) throw new Error(`pieceFailed(${index}): piece is ${this.state(index)}, not verifying`);
    this.verifyingTotal--;
    this.pieceState[index] = UNTOUCHED;
    if (this.wanted[index]) this.orderOf(index).insert(index);
  }

  // ---- availability ----

  get peerCount(): number {
    return this.peers.size;
  }

  /** How many connected peers have the piece. */
  availability(index: number): number {
    this.checkIndex(index);
    return this.counts[index]! + this.seedCount;
  }

  peerHas(peerId: string, index: number): boolean {
    this.checkIndex(index);
    const peer = this.peers.get(peerId);
    return peer !== undefined && this.has(peer, index);
  }

  /** The peer has every piece (have-all, a full bitfield, or haves that completed it). */
  peerIsSeed(peerId: string): boolean {
    return this.peers.get(peerId)?.seed ?? false;
  }

  /** Pieces the peer has (all for a seed); undefined for a peer we know nothing of. */
  peerPieceCount(peerId: string): number | undefined {
    const peer = this.peers.get(peerId);
    if (!peer) return undefined;
    return peer.seed ? this.pieceCount : peer.count;
  }

  /** The peer has a piece we want and lack: we should be interested in it. */
  isInteresting(peerId: string): boolean {
    const peer = this.peers.get(peerId);
    if (!peer) return false;
    return peer.seed ? this.missingTotal > 0 : peer.interesting > 0;
  }

  peerHave(peerId: string, index: number): void {
    this.checkIndex(index);
    const peer = this.peerRecord(peerId);
    if (!this.has(peer, index)) this.addPiece(peer, index);
  }

  /** The peer's raw wire bitfield (MSB first, ceil(pieceCount / 8) bytes; spare bits ignored). Replaces what we knew. */
  peerBitfield(peerId: string, bits: Uint8Array): void {
    const n = this.pieceCount;
    if (bits.length !== byteLength(n)) throw new RangeError(`bitfield of ${bits.length} bytes, expected ${byteLength(n)}`);
    const peer = this.peerRecord(peerId);
    this.forgetPieces(peer);
    const copy = maskedCopy(bits, n);
    if (popcount(copy) === n) {
      this.makeSeed(peer);
      return;
    }
    peer.bits = copy;
    forEachSetBit(copy, (index) => this.countPiece(peer, index));
  }

  peerHaveAll(peerId: string): void {
    const peer = this.peerRecord(peerId);
    if (peer.seed) return;
    this.forgetPieces(peer);
    this.makeSeed(peer);
  }

  peerHaveNone(peerId: string): void {
    const peer = this.peerRecord(peerId);
    this.forgetPieces(peer);
    if (this.pieceCount === 0) this.makeSeed(peer);
  }

  /** The peer disconnected: its pieces leave the availability and its requests go back to be picked. */
  peerGone(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.releaseRequests(peerId);
    this.forgetPieces(peer);
    this.peers.delete(peerId);
  }

  // ---- requests ----

  /** Up to `max` new block requests for this peer, recorded as outstanding at it. */
  pickRequests(peerId: string, max: number, { rng }: PickOptions): BlockRequest[] {
    const out: BlockRequest[] = [];
    const peer = this.peers.get(peerId);
    if (!peer || max <= 0) return out;
    // 1. Finish partial pieces.
    for (const index of this.open) {
      if (!this.wanted[index] || !this.has(peer, index)) continue;
      this.takeMissing(this.partials.get(index)!, peer, max, out);
      if (out.length >= max) return out;
    }
    // 2. New pieces: random first, then rarest.
    while (out.length < max) {
      const index = this.pickNewPiece(peer, rng);
      if (index < 0) break;
      this.orderOf(index).remove(index);
      this.pieceState[index] = PARTIAL;
      const partial = new PartialPiece(index, this.layout.blockCount(index));
      this.partials.set(index, partial);
      this.open.add(index);
      this.takeMissing(partial, peer, max, out);
    }
    // 3. Strict endgame.
    if (out.length < max && this.inEndgame()) this.takeDuplicates(peer, max, out);
    return out;
  }

  /** True when every wanted block we lack is received, verifying or requested from someone. */
  inEndgame(): boolean {
    if (this.missingTotal === 0 || this.pickableCount() > 0) return false;
    for (const index of this.open) if (this.wanted[index]) return false;
    return true;
  }

  /**
   * A block arrived. Only a block outstanding at this peer is accepted: a late block after requestFailed
   * (a timeout we gave up on) is refused even if still missing, so every accepted block matches one
   * recorded request.
   */
  blockReceived(peerId: string, req: BlockRequest): BlockResult {
    const block = this.layout.blockOf(req);
    if (block < 0) return rejected();
    const partial = this.partials.get(req.index);
    if (!partial || partial.state[block] !== REQUESTED || !partial.isRequester(block, peerId)) return rejected();
    const key = this.key(req.index, block);
    const cancelFrom: string[] = [];
    for (const requester of [partial.first[block], partial.second[block]]) {
      if (requester === undefined) continue;
      this.peers.get(requester)!.outstanding.delete(key);
      if (requester !== peerId) cancelFrom.push(requester);
    }
    partial.first[block] = undefined;
    partial.second[block] = undefined;
    partial.state[block] = RECEIVED;
    partial.received++;
    if (partial.received < partial.blocks) return { accepted: true, pieceComplete: false, cancelFrom };
    this.partials.delete(req.index);
    this.open.delete(req.index);
    this.pieceState[req.index] = VERIFYING;
    this.verifyingTotal++;
    return { accepted: true, pieceComplete: true, cancelFrom };
  }

  /** The request was rejected, cancelled, timed out or lost to a choke: the block can be picked again. */
  requestFailed(peerId: string, req: BlockRequest): boolean {
    const peer = this.peers.get(peerId);
    const block = this.layout.blockOf(req);
    if (!peer || block < 0) return false;
    const key = this.key(req.index, block);
    if (!peer.outstanding.delete(key)) return false;
    this.release(req.index, block, peerId);
    return true;
  }

  /** Fails every request outstanding at the peer (e.g. it choked us); returns how many. */
  releaseRequests(peerId: string): number {
    const peer = this.peers.get(peerId);
    if (!peer) return 0;
    const keys = [...peer.outstanding];
    peer.outstanding.clear();
    const bpp = this.layout.blocksPerPiece;
    for (const key of keys) {
      const index = Math.floor(key / bpp);
      this.release(index, key - index * bpp, peerId);
    }
    return keys.length;
  }

  /** The peer's outstanding requests, in piece and block order. */
  outstanding(peerId: string): BlockRequest[] {
    const peer = this.peers.get(peerId);
    if (!peer) return [];
    const bpp = this.layout.blocksPerPiece;
    return [...peer.outstanding]
      .sort((a, b) => a - b)
      .map((key) => {
        const index = Math.floor(key / bpp);
        return this.layout.request(index, key - index * bpp);
      });
  }

  outstandingCount(peerId: string): number {
    return this.peers.get(peerId)?.outstanding.size ?? 0;
  }

  // ---- invariants ----

  /** Throws if any piece of internal bookkeeping disagrees with another. For tests. */
  assertInvariants(): void {
    const n = this.pieceCount;
    const fail = (msg: string): never => {
      throw new Error(`PiecePicker invariant: ${msg}`);
    };
    for (const order of this.orders) order?.check();
    let have = 0;
    let verifying = 0;
    let missing = 0;
    for (let i = 0; i < n; i++) {
      const state = this.pieceState[i]!;
      if (state > HAVE) fail(`piece ${i} has state ${state}`);
      if (state === HAVE) have++;
      if (state === VERIFYING) verifying++;
      if (this.wanted[i] && state !== HAVE) missing++;
      if ((state === PARTIAL) !== this.partials.has(i)) fail(`piece ${i} is ${STATE_NAMES[state]} but partial record ${this.partials.has(i)}`);
      const pickable = state === UNTOUCHED && this.wanted[i] === 1;
      if (pickable !== this.orderOf(i).has(i)) fail(`piece ${i} (${STATE_NAMES[state]}, wanted ${this.wanted[i]}) pickable=${pickable} but listed=${this.orderOf(i).has(i)}`);
      this.orders.forEach((order, c) => {
        if (c !== this.priorityClass[i] && order?.has(i)) fail(`piece ${i} of priority class ${this.priorityClass[i]} is listed in class ${c}`);
      });
    }
    if (have !== this.haveTotal) fail(`haveCount ${this.haveTotal} != ${have}`);
    if (verifying !== this.verifyingTotal) fail(`verifying count ${this.verifyingTotal} != ${verifying}`);
    if (missing !== this.missingTotal) fail(`missingCount ${this.missingTotal} != ${missing}`);

    // Availability equals the peers that have each piece.
    const counts = new Uint32Array(n);
    let seeds = 0;
    for (const peer of this.peers.values()) {
      if (peer.seed) {
        seeds++;
        if (peer.bits !== null) fail(`seed ${peer.id} keeps a bitfield`);
        continue;
      }
      if (!peer.bits || peer.bits.length !== byteLength(n)) fail(`peer ${peer.id} has no proper bitfield`);
      const bits = peer.bits!;
      let count = 0;
      let interesting = 0;
      for (let i = 0; i < n; i++) {
        if (!hasBit(bits, i)) continue;
        count++;
        counts[i]!++;
        if (this.wanted[i] && this.pieceState[i] !== HAVE) interesting++;
      }
      if (bits.length * 8 > n && popcount(bits) !== count) fail(`peer ${peer.id} has spare bits set`);
      if (count !== peer.count) fail(`peer ${peer.id} count ${peer.count} != ${count}`);
      if (count === n) fail(`peer ${peer.id} has every piece but is not a seed`);
      if (interesting !== peer.interesting) fail(`peer ${peer.id} interesting ${peer.interesting} != ${interesting}`);
    }
    if (seeds !== this.seedCount) fail(`seedCount ${this.seedCount} != ${seeds}`);
    for (let i = 0; i < n; i++) if (counts[i] !== this.counts[i]) fail(`availability of ${i} is ${this.counts[i]}, peers say ${counts[i]}`);

    // Partial pieces and outstanding requests agree on both sides.
    let slots = 0;
    for (const [index, partial] of this.partials) {
      if (partial.index !== index || partial.blocks !== this.layout.blockCount(index)) fail(`partial ${index} is malformed`);
      let m = 0;
      let r = 0;
      for (let b = 0; b < partial.blocks; b++) {
        const state = partial.state[b]!;
        const first = partial.first[b];
        const second = partial.second[b];
        if (state === MISSING) {
          m++;
          if (b < partial.firstMissing) fail(`piece ${index} block ${b} missing before firstMissing ${partial.firstMissing}`);
        }
        if (state === RECEIVED) r++;
        if ((state === REQUESTED) !== (first !== undefined)) fail(`piece ${index} block ${b} state ${state} with requester ${first}`);
        if (second !== undefined && (first === undefined || first === second)) fail(`piece ${index} block ${b} has a bad second requester`);
        for (const requester of [first, second]) {
          if (requester === undefined) continue;
          slots++;
          const peer = this.peers.get(requester);
          if (!peer || !peer.outstanding.has(this.key(index, b))) fail(`piece ${index} block ${b} requested by ${requester}, who does not list it`);
        }
      }
      if (m !== partial.missing || r !== partial.received) fail(`piece ${index} counts missing ${partial.missing}/${m} received ${partial.received}/${r}`);
      if (m === partial.blocks) fail(`piece ${index} is partial with nothing requested or received`);
      if ((m > 0) !== this.open.has(index)) fail(`piece ${index} has ${m} missing blocks but open=${this.open.has(index)}`);
    }
    for (const index of this.open) if (!this.partials.has(index)) fail(`open piece ${index} is not partial`);
    let listed = 0;
    for (const peer of this.peers.values()) listed += peer.outstanding.size;
    if (listed !== slots) fail(`peers list ${listed} outstanding requests, pieces record ${slots}`);
  }

  // ---- internals ----

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) throw new RangeError(`piece ${index} out of range`);
  }

  /** The order a piece belongs to (it is listed there while pickable). */
  private orderOf(index: number): AvailabilityOrder {
    return this.orders[this.priorityClass[index]!]!;
  }

  private pickableCount(): number {
    let size = 0;
    for (const order of this.orders) size += order?.size ?? 0;
    return size;
  }

  private key(index: number, block: number): number {
    return index * this.layout.blocksPerPiece + block;
  }

  private has(peer: PeerRecord, index: number): boolean {
    return peer.seed || hasBit(peer.bits!, index);
  }

  private peerRecord(peerId: string): PeerRecord {
    let peer = this.peers.get(peerId);
    if (!peer) {
      peer = { id: peerId, seed: false, bits: new Uint8Array(byteLength(this.pieceCount)), count: 0, interesting: 0, outstanding: new Set() };
      this.peers.set(peerId, peer);
      if (this.pieceCount === 0) this.makeSeed(peer);
    }
    return peer;
  }

  /** Counts a piece for a non-seed peer (its bit is already set or being set). */
  private countPiece(peer: PeerRecord, index: number): void {
    peer.count++;
    this.orderOf(index).increment(index);
    if (this.wanted[index] && this.pieceState[index] !== HAVE) peer.interesting++;
  }

  private addPiece(peer: PeerRecord, index: number): void {
    setBit(peer.bits!, index);
    this.countPiece(peer, index);
    if (peer.count === this.pieceCount) {
      for (let i = 0; i < this.pieceCount; i++) this.orderOf(i).decrement(i);
      this.makeSeed(peer);
    }
  }

  /** Takes the peer's pieces out of the availability; it is left a non-seed with no pieces. */
  private forgetPieces(peer: PeerRecord): void {
    if (peer.seed) {
      this.seedCount--;
    } else {
      forEachSetBit(peer.bits!, (index) => this.orderOf(index).decrement(index));
    }
    peer.seed = false;
    peer.bits = new Uint8Array(byteLength(this.pieceCount));
    peer.count = 0;
    peer.interesting = 0;
  }

  /** Turns a peer with no counted pieces into a seed. */
  private makeSeed(peer: PeerRecord): void {
    peer.seed = true;
    peer.bits = null;
    peer.count = this.pieceCount;
    peer.interesting = 0;
    this.seedCount++;
  }

  private markHave(index: number): void {
    const state = this.pieceState[index]!;
    if (state === PARTIAL) {
      const partial = this.partials.get(index)!;
      for (let b = 0; b < partial.blocks; b++) {
        for (const requester of [partial.first[b], partial.second[b]]) {
          if (requester !== undefined) this.peers.get(requester)!.outstanding.delete(this.key(index, b));
        }
      }
      this.partials.delete(index);
      this.open.delete(index);
    } else if (state === VERIFYING) {
      this.verifyingTotal--;
    } else {
      this.orderOf(index).remove(index);
    }
    this.pieceState[index] = HAVE;
    this.haveTotal++;
    if (!this.wanted[index]) return;
    this.missingTotal--;
    for (const peer of this.peers.values()) if (peer.bits && hasBit(peer.bits, index)) peer.interesting--;
  }

  /** One requester let go of a block; a piece with nothing requested or received is untouched again. */
  private release(index: number, block: number, peerId: string): void {
    const partial = this.partials.get(index);
    if (!partial) throw new Error(`release of block ${block} in piece ${index}, which is not partial`);
    partial.dropRequester(block, peerId);
    if (partial.missing > 0) this.open.add(index);
    if (partial.missing < partial.blocks) return;
    this.partials.delete(index);
    this.open.delete(index);
    this.pieceState[index] = UNTOUCHED;
    if (this.wanted[index]) this.orderOf(index).insert(index);
  }

  private takeMissing(partial: PartialPiece, peer: PeerRecord, max: number, out: BlockRequest[]): void {
    const { state, first, index } = partial;
    let b = partial.firstMissing;
    for (; b < partial.blocks && out.length < max; b++) {
      if (state[b] !== MISSING) continue;
      state[b] = REQUESTED;
      first[b] = peer.id;
      partial.missing--;
      peer.outstanding.add(this.key(index, b));
      out.push(this.layout.request(index, b));
    }
    partial.firstMissing = b;
    if (partial.missing === 0) this.open.delete(index);
  }

  private takeDuplicates(peer: PeerRecord, max: number, out: BlockRequest[]): void {
    for (const partial of this.partials.values()) {
      const { index, state, first, second } = partial;
      if (!this.wanted[index] || !this.has(peer, index)) continue;
      for (let b = 0; b < partial.blocks; b++) {
        if (state[b] !== REQUESTED || second[b] !== undefined || first[b] === peer.id) continue;
        second[b] = peer.id;
        peer.outstanding.add(this.key(index, b));
        out.push(this.layout.request(index, b));
        if (out.length >= max) return;
      }
    }
  }

  /** A pickable piece the peer has, of the highest priority it offers (random first, else rarest), or -1. */
  private pickNewPiece(peer: PeerRecord, rng: () => number): number {
    const randomFirst = this.haveTotal < this.randomFirstPieces;
    if (peer.seed) {
      for (const order of this.orders) {
        if (!order || order.size === 0) continue;
        if (randomFirst) return order.order[randomIndex(rng, order.size)]!;
        for (let level = 0; level < order.levels; level++) {
          const start = order.bucketStart(level);
          const end = order.bucketEnd(level);
          if (end > start) return order.order[start + randomIndex(rng, end - start)]!;
        }
      }
      return -1;
    }
    if (peer.interesting === 0) return -1;
    const bits = peer.bits!;
    // The peer has at least this many pickable pieces. In the lowest class holding any, they all are
    // there (the classes above offered none), so a scan hits one every size / atLeast entries on
    // average; above it, a scan may cost the whole order. Its bitfield costs one pass. Take the cheaper.
    const atLeast = peer.interesting - this.partials.size - this.verifyingTotal;
    const lowest = this.lowestNonEmptyClass();
    for (let c = 0; c <= lowest; c++) {
      const order = this.orders[c];
      if (!order || order.size === 0) continue;
      const orderCost = c === lowest && atLeast > 0 ? order.size / atLeast : order.size;
      if (orderCost > bits.length + peer.count) return this.pickFromBitfield(bits, randomFirst, rng);
      const found = randomFirst ? this.scan(order, bits, 0, order.size, rng) : this.scanRarest(order, bits, rng);
      if (found >= 0) return found;
    }
    return -1;
  }

  private lowestNonEmptyClass(): number {
    for (let c = this.orders.length - 1; c >= 0; c--) if ((this.orders[c]?.size ?? 0) > 0) return c;
    return -1;
  }

  /** The rarest piece of the order the peer has (a random one of the rarest), or -1. */
  private scanRarest(order: AvailabilityOrder, bits: Uint8Array, rng: () => number): number {
    // A non-seed's pieces have availability >= 1: bucket 0 holds none of them.
    for (let level = 1; level < order.levels; level++) {
      const found = this.scan(order, bits, order.bucketStart(level), order.bucketEnd(level), rng);
      if (found >= 0) return found;
    }
    return -1;
  }

  /** The first piece the peer has in order[start, end), starting from a random point and wrapping. */
  private scan(order: AvailabilityOrder, bits: Uint8Array, start: number, end: number, rng: () => number): number {
    if (end <= start) return -1;
    const list = order.order;
    const from = start + randomIndex(rng, end - start);
    for (let i = from; i < end; i++) if (hasBit(bits, list[i]!)) return list[i]!;
    for (let i = start; i < from; i++) if (hasBit(bits, list[i]!)) return list[i]!;
    return -1;
  }

  /** Walks the peer's bitfield: of its pickable pieces of the highest priority, a random one, or a random one of the rarest. */
  private pickFromBitfield(bits: Uint8Array, randomFirst: boolean, rng: () => number): number {
    const { counts, orders, priorityClass } = this;
    const candidates: number[] = [];
    let bestClass = Infinity;
    let best = Infinity;
    for (let byte = 0; byte < bits.length; byte++) {
      const value = bits[byte]!;
      if (value === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        if (!(value & (0x80 >>> bit))) continue;
        const index = byte * 8 + bit;
        const c = priorityClass[index]!;
        if (c > bestClass || orders[c]!.pos[index]! < 0) continue;
        const level = randomFirst ? 0 : counts[index]!;
        if (c === bestClass && level > best) continue;
        if (c < bestClass || level < best) {
          bestClass = c;
          best = level;
          candidates.length = 0;
        }
        candidates.push(index);
      }
    }
    return candidates.length === 0 ? -1 : candidates[randomIndex(rng, candidates.length)]!;
  }
}
