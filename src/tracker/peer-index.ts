/**
 * Finds a peer's slot from what identifies it in its torrent: address and port (BEP 7: one entry per
 * address a peer announces from), and, for unconnectable peers (port 0) behind one address, the peer
 * id. An open-addressing hash table of slot numbers in one Int32Array, instead of a Map per torrent:
 * four bytes per entry, no key objects, nothing for the garbage collector. The table does not keep
 * keys: a probe compares the candidate slot's own columns (the caller's `matches`).
 *
 * The hash is keyed with a random seed, so a client choosing ports or peer ids cannot aim many keys
 * at one bucket; linear probing stays short with the table at most half full (tombstones included).
 * A rebuild leaves it at most a third full, so it is rebuilt again only after a sixth of its
 * buckets have been filled: 50,000 peers take 131,072 buckets (512 KiB).
 */

import { discard } from './typed-columns.js';

const EMPTY = 0;
const DELETED = -1;
/** What entry() gives for a bucket without a slot: stop probing at NO_MORE, skip a GONE one. */
export const NO_MORE = -1;
export const GONE = -2;

export class PeerIndex {
  /** slot + 1 per bucket; EMPTY or DELETED. */
  private table = new Int32Array(16);
  private mask = 15;
  private live = 0;
  private deleted = 0;

  constructor(readonly seed: number) {}

  /** Buckets in the table. */
  get buckets(): number {
    return this.table.length;
  }

  /**
   * Probing, without allocating: `for (let b = index.start(hash); ; b = index.next(b))`, reading
   * `entry(b)` until NO_MORE.
   */
  start(hash: number): number {
    return hash & this.mask;
  }

  next(bucket: number): number {
    return (bucket + 1) & this.mask;
  }

  /** The slot in a bucket, NO_MORE (empty: the key is not in the index) or GONE (removed: probe on). */
  entry(bucket: number): number {
    const e = this.table[bucket]!;
    return e === EMPTY ? NO_MORE : e === DELETED ? GONE : e - 1;
  }

  /**
   * Adds a slot that is not in the index. When the table would be over half full, it is rebuilt
   * (larger if need be, to at most a third full) from `every`, which must call `add` for every slot
   * in the index but `adding`, the one being added.
   */
  insert(slot: number, hash: number, every: (add: (slot: number, hash: number) => void, adding: number) => void): void {
    if (2 * (this.live + this.deleted + 1) > this.table.length) {
      let size = this.table.length;
      while (size < 3 * (this.live + 1)) size *= 2;
      discard(this.table);
      this.table = new Int32Array(size);
      this.mask = size - 1;
      this.live = 0;
      this.deleted = 0;
      every((s, h) => this.place(s, h), slot);
    }
    this.place(slot, hash);
  }

  /** Removes a slot that is in the index under `hash`. */
  remove(slot: number, hash: number): void {
    const table = this.table;
    for (let b = hash & this.mask; table[b] !== EMPTY; b = (b + 1) & this.mask) {
      if (table[b] !== slot + 1) continue;
      // Before an empty bucket no probe runs past this one: it can be empty too.
      if (table[(b + 1) & this.mask] === EMPTY) table[b] = EMPTY;
      else {
        table[b] = DELETED;
        this.deleted++;
      }
      this.live--;
      return;
    }
  }

  private place(slot: number, hash: number): void {
    const table = this.table;
    let b = hash & this.mask;
    while (table[b]! > 0) b = (b + 1) & this.mask;
    if (table[b] === DELETED) this.deleted--;
    table[b] = slot + 1;
    this.live++;
  }
}

/** A key's hash: `mixHash` each word into the index's `seed`, then `finishHash` (murmur3's steps). */
export function mixHash(h: number, word: number): number {
  let k = Math.imul(word | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
