import { createHash } from 'node:crypto';
import { METADATA_PIECE_SIZE, metadataPieceCount, metadataPieceLength } from '../protocol/extension/ut-metadata.js';

/**
 * Assembles an info dictionary from BEP 9 pieces sent by several peers, and finds who lied when
 * it does not hash to the infohash. The bytes live here, never in a machine's context.
 *
 * First attempt: pieces spread over every peer (fast). If the result does not verify, each piece's
 * digest and sender are kept and the next attempts take every piece from one peer at a time, so a
 * failure has exactly one culprit. When a copy finally verifies, every sender of an earlier piece
 * that differs from it is proven a liar too (the smart-ban idea applied to metadata).
 */

export interface MetadataPeer {
  key: string;
  /** Remote peer id (hex), to ban liars across reconnections. */
  peerId: string;
}

interface PieceSlot {
  /** The peer it was asked of, and when; undefined when nobody is asked. */
  askedOf?: string;
  askedAt: number;
  /** Who sent the bytes we hold. */
  sender?: string;
}

/** Pieces of failed attempts remembered to prove liars later (one 8 MiB dictionary is 512 pieces). */
const MAX_SUSPECT_PIECES = 4096;

export type PieceOutcome = 'stored' | 'unrequested';

export type Verdict =
  | { ok: true; info: Buffer; liars: MetadataPeer[] }
  | { ok: false; liars: MetadataPeer[] };

export class MetadataAssembly {
  readonly pieceCount: number;
  private readonly data: Buffer;
  private slots: PieceSlot[];
  private readonly peers = new Map<string, MetadataPeer>();
  /** Pieces each peer rejected (BEP 9 reject): not asked of it again in this attempt. */
  private readonly refused = new Map<string, Set<number>>();
  /** After a failed spread attempt: the one peer every piece is asked of. */
  private singleSource?: string;
  private failedAttempts = 0;
  /** Digests and senders of pieces from failed attempts, to prove liars once a copy verifies. */
  private readonly suspectPieces: { piece: number; sender: MetadataPeer; digest: string }[] = [];

  constructor(
    readonly infoHash: Buffer,
    readonly size: number,
  ) {
    this.pieceCount = metadataPieceCount(size);
    this.data = Buffer.alloc(size);
    this.slots = this.freshSlots();
  }

  get attemptsFailed(): number {
    return this.failedAttempts;
  }

  get received(): number {
    return this.slots.filter((slot) => slot.sender !== undefined).length;
  }

  addPeer(peer: MetadataPeer): void {
    this.peers.set(peer.key, peer);
  }

  hasPeer(key: string): boolean {
    return this.peers.has(key);
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** The peer left: what it was asked goes back to the pool. */
  removePeer(key: string): void {
    this.peers.delete(key);
    this.refused.delete(key);
    for (const slot of this.slots) if (slot.askedOf === key) slot.askedOf = undefined;
    if (this.singleSource === key) this.singleSource = undefined;
  }

  /**
   * Pieces to request now, by peer: each peer gets up to `perPeer` outstanding requests; requests
   * older than `timeoutMs` are taken back first (their peer is returned in `timedOut`).
   */
  assign(now: number, perPeer: number, timeoutMs: number): { requests: Map<string, number[]>; timedOut: string[] } {
    const timedOut = new Set<string>();
    for (const slot of this.slots) {
      if (slot.askedOf !== undefined && slot.sender === undefined && now - slot.askedAt >= timeoutMs) {
        timedOut.add(slot.askedOf);
        slot.askedOf = undefined;
      }
    }
    const requests = new Map<string, number[]>();
    const outstanding = new Map<string, number>();
    for (const slot of this.slots) if (slot.askedOf && !slot.sender) outstanding.set(slot.askedOf, (outstanding.get(slot.askedOf) ?? 0) + 1);
    const eligible = [...this.peers.keys()].filter((key) => !timedOut.has(key) && (this.singleSource === undefined || key === this.singleSource));
    if (this.failedAttempts > 0 && this.singleSource === undefined && eligible.length > 0) {
      this.singleSource = eligible[0];
      return this.assign(now, perPeer, timeoutMs);
    }
    let turn = 0;
    this.slots.forEach((slot, piece) => {
      if (slot.sender !== undefined || slot.askedOf !== undefined) return;
      for (let tries = 0; tries < eligible.length; tries++) {
        const key = eligible[(turn + tries) % eligible.length]!;
        if ((outstanding.get(key) ?? 0) >= perPeer || this.refused.get(key)?.has(piece)) continue;
        slot.askedOf = key;
        slot.askedAt = now;
        outstanding.set(key, (outstanding.get(key) ?? 0) + 1);
        requests.set(key, [...(requests.get(key) ?? []), piece]);
        turn = (turn + tries + 1) % eligible.length;
        return;
      }
    });
    return { requests, timedOut: [...timedOut] };
  }

  /** A data message: stored only if we asked that peer for that piece (the codec checked its length). */
  store(key: string, piece: number, bytes: Buffer): PieceOutcome {
    const slot = this.slots[piece];
    if (!slot || slot.askedOf !== key || slot.sender !== undefined || bytes.length !== metadataPieceLength(this.size, piece)) return 'unrequested';
    bytes.copy(this.data, piece * METADATA_PIECE_SIZE);
    slot.sender = key;
    return 'stored';
  }

  /** A reject: the piece goes back to the pool and is not asked of this peer again in this attempt. */
  reject(key: string, piece: number): void {
    const slot = this.slots[piece];
    if (!slot || slot.askedOf !== key || slot.sender !== undefined) return;
    slot.askedOf = undefined;
    const refused = this.refused.get(key) ?? new Set<number>();
    refused.add(piece);
    this.refused.set(key, refused);
    if (this.singleSource === key) this.singleSource = undefined;
  }

  /** True when some peer refused every piece we still miss: it is of no use for this attempt. */
  refusesEverything(key: string): boolean {
    const refused = this.refused.get(key);
    if (!refused) return false;
    return this.slots.every((slot, piece) => slot.sender !== undefined || refused.has(piece));
  }

  get complete(): boolean {
    return this.slots.every((slot) => slot.sender !== undefined);
  }

  /** Hashes the assembled bytes; on failure the attempt restarts (single source) and the culprits it proves are named. */
  verify(): Verdict {
    if (sha1(this.data).equals(this.infoHash)) {
      const info = Buffer.from(this.data);
      const liars = new Map<string, MetadataPeer>();
      for (const suspect of this.suspectPieces) {
        const start = suspect.piece * METADATA_PIECE_SIZE;
        const truth = sha1(info.subarray(start, start + metadataPieceLength(this.size, suspect.piece))).toString('hex');
        if (truth !== suspect.digest) liars.set(suspect.sender.key, suspect.sender);
      }
      return { ok: true, info, liars: [...liars.values()] };
    }
    const senders = new Set(this.slots.map((slot) => slot.sender!));
    const liars: MetadataPeer[] = [];
    if (senders.size === 1) {
      const only = this.peers.get([...senders][0]!);
      if (only) liars.push(only);
    } else if (this.suspectPieces.length < MAX_SUSPECT_PIECES) {
      this.slots.forEach((slot, piece) => {
        const sender = this.peers.get(slot.sender!);
        if (!sender) return;
        const start = piece * METADATA_PIECE_SIZE;
        const digest = sha1(this.data.subarray(start, start + metadataPieceLength(this.size, piece))).toString('hex');
        this.suspectPieces.push({ piece, sender, digest });
      });
    }
    this.failedAttempts++;
    this.singleSource = undefined;
    this.refused.clear();
    this.slots = this.freshSlots();
    for (const liar of liars) this.removePeer(liar.key);
    return { ok: false, liars };
  }

  private freshSlots(): PieceSlot[] {
    return Array.from({ length: this.pieceCount }, () => ({ askedAt: 0 }));
  }
}

function sha1(bytes: Buffer): Buffer {
  return createHash('sha1').update(bytes).digest();
}
