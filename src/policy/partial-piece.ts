/**
 * Per-block state of one piece that is being downloaded. Only pieces in flight get one of these, so
 * memory follows the pieces in progress, not the torrent size.
 */

export const MISSING = 0;
export const REQUESTED = 1;
export const RECEIVED = 2;

/** A block may be outstanding at two peers at most: the first requester and one endgame duplicate. */
export class PartialPiece {
  readonly state: Uint8Array;
  /** Who requested each block (undefined when nobody has it outstanding). */
  readonly first: (string | undefined)[];
  /** The endgame duplicate requester, if any. */
  readonly second: (string | undefined)[];
  missing: number;
  received = 0;
  /** No MISSING block sits before this index; lets repeated picks skip the requested prefix. */
  firstMissing = 0;

  constructor(
    readonly index: number,
    readonly blocks: number,
  ) {
    this.state = new Uint8Array(blocks);
    this.first = new Array<string | undefined>(blocks).fill(undefined);
    this.second = new Array<string | undefined>(blocks).fill(undefined);
    this.missing = blocks;
  }

  get requested(): number {
    return this.blocks - this.missing - this.received;
  }

  isRequester(block: number, peerId: string): boolean {
    return this.first[block] === peerId || this.second[block] === peerId;
  }

  /** Drops `peerId` as a requester of `block`; a block nobody requests any more is MISSING again. */
  dropRequester(block: number, peerId: string): void {
    if (this.first[block] === peerId) {
      this.first[block] = this.second[block];
      this.second[block] = undefined;
    } else if (this.second[block] === peerId) {
      this.second[block] = undefined;
    } else {
      return;
    }
    if (this.first[block] === undefined && this.state[block] === REQUESTED) {
      this.state[block] = MISSING;
      this.missing++;
      if (block < this.firstMissing) this.firstMissing = block;
    }
  }
}
