import { createHash } from 'node:crypto';

/**
 * Block-level blame for pieces that fail their hash (libtorrent's "smart ban"). When a piece fails,
 * we remember who sent each of its blocks and a digest of what they sent. When the same piece later
 * verifies, the good blocks are known: a peer whose remembered block differs from the good one sent
 * bad data (guilty: ban it at once); a peer whose blocks all matched did nothing wrong in that
 * failure (cleared: take back the strike it got for it).
 *
 * Pure bookkeeping: no I/O, no clock. Memory is bounded: only pieces that failed and have not yet
 * verified are kept, at most `maxBlocks` block records in all (the oldest pieces are forgotten first).
 */

/** One block of a failed piece: who sent it (a stable peer identity) and the SHA-1 of its bytes. */
export interface BlockRecord {
  peer: string;
  /** Carried through to the verdict, for messages (`host:port`). */
  address: string;
  digest: Buffer;
}

export interface SmartBanVerdict {
  /** Peers that sent at least one block that differs from the verified one, with the first such block. */
  guilty: { peer: string; address: string; block: number }[];
  /** Peers cleared of a failure they were blamed for, once per failed attempt in which all their blocks matched. */
  cleared: { peer: string; failures: number }[];
}

export interface SmartBanOptions {
  /** Block records kept over all failed pieces (default 65 536: about 6 MB, 1 GiB of 16 KiB blocks). */
  maxBlocks?: number;
  /** Failed attempts remembered per piece (default 4): a piece that keeps failing is a strike matter. */
  maxAttemptsPerPiece?: number;
}

/** SHA-1 of each block, for BlockRecord.digest and SmartBan.pieceVerified. */
export function blockDigests(blocks: readonly Buffer[]): Buffer[] {
  return blocks.map((block) => createHash('sha1').update(block).digest());
}

export class SmartBan {
  /** Per failed piece, its failed attempts (oldest first); each attempt is indexed by block number (holes possible). */
  private readonly pieces = new Map<number, (BlockRecord | undefined)[][]>();
  private blocks = 0;
  private readonly maxBlocks: number;
  private readonly maxAttempts: number;

  constructor(options: SmartBanOptions = {}) {
    this.maxBlocks = Math.max(1, options.maxBlocks ?? 65_536);
    this.maxAttempts = Math.max(1, options.maxAttemptsPerPiece ?? 4);
  }

  /** Pieces with remembered failures. */
  get pieceCount(): number {
    return this.pieces.size;
  }

  /** Block records held. */
  get blockCount(): number {
    return this.blocks;
  }

  has(index: number): boolean {
    return this.pieces.has(index);
  }

  /** A piece failed its hash: `blocks[i]` is block i as received (undefined if its sender is unknown). */
  pieceFailed(index: number, blocks: readonly (BlockRecord | undefined)[]): void {
    const attempt = [...blocks];
    const size = countDefined(attempt);
    if (size === 0 || size > this.maxBlocks) return;
    const attempts = this.pieces.get(index) ?? [];
    // Re-inserted: the Map's order is the order pieces last failed, so the oldest go first.
    this.pieces.delete(index);
    attempts.push(attempt);
    this.blocks += size;
    while (attempts.length > this.maxAttempts) this.blocks -= countDefined(attempts.shift()!);
    this.pieces.set(index, attempts);
    while (this.blocks > this.maxBlocks) {
      const [oldest, dropped] = this.pieces.entries().next().value!;
      this.pieces.delete(oldest);
      for (const a of dropped) this.blocks -= countDefined(a);
    }
  }

  /**
   * The piece verified with these blocks (their digests, by block number): judges every remembered
   * failure of it, then forgets them. A piece never seen failing gives an empty verdict.
   */
  pieceVerified(index: number, good: readonly Buffer[]): SmartBanVerdict {
    const attempts = this.pieces.get(index);
    const verdict: SmartBanVerdict = { guilty: [], cleared: [] };
    if (!attempts) return verdict;
    this.pieces.delete(index);
    const guilty = new Map<string, { address: string; block: number }>();
    const cleared = new Map<string, number>();
    for (const attempt of attempts) {
      this.blocks -= countDefined(attempt);
      const bad = new Set<string>();
      const senders = new Set<string>();
      const unjudged = new Set<string>();
      attempt.forEach((record, block) => {
        if (!record) return;
        senders.add(record.peer);
        const goodDigest = good[block];
        // No good block to compare with (a different block layout): no evidence either way.
        if (!goodDigest) return void unjudged.add(record.peer);
        if (goodDigest.equals(record.digest)) return;
        bad.add(record.peer);
        if (!guilty.has(record.peer)) guilty.set(record.peer, { address: record.address, block });
      });
      for (const peer of senders) if (!bad.has(peer) && !unjudged.has(peer)) cleared.set(peer, (cleared.get(peer) ?? 0) + 1);
    }
    verdict.guilty = [...guilty].map(([peer, { address, block }]) => ({ peer, address, block }));
    // A peer guilty in one attempt is not cleared by another.
    verdict.cleared = [...cleared].filter(([peer]) => !guilty.has(peer)).map(([peer, failures]) => ({ peer, failures }));
    return verdict;
  }
}

function countDefined(records: readonly (BlockRecord | undefined)[]): number {
  let n = 0;
  for (const r of records) if (r) n++;
  return n;
}
