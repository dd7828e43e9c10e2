/**
 * Every peer the registry holds, one numbered slot each, kept in columns (typed arrays) instead of
 * one object per peer: about 70 bytes a peer instead of 400, nothing for the garbage collector to
 * trace, no allocation per announce, and a reply's compact entries copied straight out of
 * `compact4` or `compact6`, where each peer is stored already encoded (BEP 23: 4 or 16 address
 * bytes, then the port, big-endian). Freed slots are reused; the columns double as needed, never
 * past `maxSlots`; the IPv6 column exists only once an IPv6 peer does.
 *
 * Slots are threaded on two doubly linked lists by last announce, oldest first: every peer (the
 * global cap evicts the head, the expiry sweep walks from it) and each torrent's own peers (its
 * cap evicts that head). Moving a peer to the newest end is O(1) and allocates nothing.
 */

import { discard, resized, resizedFloat64, resizedInt32, resizedUint8 } from './typed-columns.js';

export const NONE = -1;

export const COMPACT4 = 6;
export const COMPACT6 = 18;
const PEER_ID_LENGTH = 20;
/**
 * Columns are made this many slots long at once (maxSlots if fewer), and grow only past it. Their
 * memory is reserved, not used: the allocator maps columns this large fresh from the kernel, whose
 * zeroed pages take no RAM until a slot on them is first written, and slots are handed out from
 * the lowest (freed ones first), so what is resident follows the most peers held at once.
 */
const RESERVED_SLOTS = 1 << 18;

export const SEEDER = 1;
export const IPV6 = 2;
/** Announced port 0: counted, never listed. */
export const UNCONNECTABLE = 4;

/** The two ends of a list threaded through the table. */
export interface ListEnds {
  oldest: number;
  newest: number;
}

/** Next and previous links of one list, per slot. */
interface Links {
  older: Int32Array;
  newer: Int32Array;
}

export class PeerTable {
  compact4: Buffer;
  compact6: Buffer | undefined;
  peerIds: Buffer;
  /** A 32-bit hash of each peer id: most comparisons end here, without reading 20 bytes. */
  peerIdTag: Int32Array;
  lastSeen: Float64Array;
  flags: Uint8Array;
  /** Position in its torrent's seeder or leecher list. */
  listIndex: Int32Array;
  /**
   * The number of the list's owner (the registry's torrent) of each used slot: a column like the
   * others, where an array of the owners themselves grew in V8's heap, 4 bytes a slot and garbage
   * at each growth.
   */
  ownerOf: Int32Array;
  /** Every used slot, oldest announce first. */
  readonly all: ListEnds = { oldest: NONE, newest: NONE };
  size = 0;
  private allLinks: Links;
  private ownerLinks: Links;
  /** Freed slots, linked through `allLinks.newer`. */
  private free = NONE;
  private used = 0;

  constructor(private readonly maxSlots: number) {
    const n = Math.min(RESERVED_SLOTS, maxSlots);
    this.compact4 = Buffer.alloc(n * COMPACT4);
    this.peerIds = Buffer.alloc(n * PEER_ID_LENGTH);
    this.peerIdTag = new Int32Array(n);
    this.lastSeen = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.listIndex = new Int32Array(n);
    this.ownerOf = new Int32Array(n);
    this.allLinks = { older: new Int32Array(n), newer: new Int32Array(n) };
    this.ownerLinks = { older: new Int32Array(n), newer: new Int32Array(n) };
  }

  get capacity(): number {
    return this.flags.length;
  }

  /** A fresh slot, newest in both lists; the caller fills its columns. The caller evicts first at maxSlots. */
  allocate(owner: number, ownerEnds: ListEnds): number {
    let slot = this.free;
    if (slot !== NONE) {
      this.free = this.allLinks.newer[slot]!;
    } else {
      if (this.used === this.capacity) {
        if (this.used >= this.maxSlots) throw new RangeError('peer table full: evict before allocating');
        this.grow();
      }
      slot = this.used++;
    }
    this.ownerOf[slot] = owner;
    this.size++;
    append(this.allLinks, this.all, slot);
    append(this.ownerLinks, ownerEnds, slot);
    return slot;
  }

  release(slot: number, ownerEnds: ListEnds): void {
    unlink(this.allLinks, this.all, slot);
    unlink(this.ownerLinks, ownerEnds, slot);
    this.flags[slot] = 0;
    this.allLinks.newer[slot] = this.free;
    this.free = slot;
    this.size--;
  }

  /** The peer announced again: newest in both lists. */
  touch(slot: number, ownerEnds: ListEnds): void {
    if (this.all.newest !== slot) {
      unlink(this.allLinks, this.all, slot);
      append(this.allLinks, this.all, slot);
    }
    if (ownerEnds.newest !== slot) {
      unlink(this.ownerLinks, ownerEnds, slot);
      append(this.ownerLinks, ownerEnds, slot);
    }
  }

  /** The next newer slot in the global list, or NONE. */
  newerOf(slot: number): number {
    return this.allLinks.newer[slot]!;
  }

  /** The next newer slot in its owner's list, or NONE. */
  newerInOwner(slot: number): number {
    return this.ownerLinks.newer[slot]!;
  }

  hasPeerId(slot: number, id: Uint8Array): boolean {
    const ids = this.peerIds;
    const at = slot * PEER_ID_LENGTH;
    for (let i = 0; i < PEER_ID_LENGTH; i++) if (ids[at + i] !== id[i]) return false;
    return true;
  }

  storePeerId(slot: number, id: Uint8Array): void {
    const ids = this.peerIds;
    const at = slot * PEER_ID_LENGTH;
    for (let i = 0; i < PEER_ID_LENGTH; i++) ids[at + i] = id[i]!;
    this.peerIdTag[slot] = peerIdTag(id);
  }

  samePeerId(a: number, b: number): boolean {
    if (this.peerIdTag[a] !== this.peerIdTag[b]) return false;
    const ids = this.peerIds;
    const x = a * PEER_ID_LENGTH;
    const y = b * PEER_ID_LENGTH;
    for (let i = 0; i < PEER_ID_LENGTH; i++) if (ids[x + i] !== ids[y + i]) return false;
    return true;
  }

  peerIdOf(slot: number): Buffer {
    return Buffer.from(this.peerIds.subarray(slot * PEER_ID_LENGTH, (slot + 1) * PEER_ID_LENGTH));
  }

  /** Stores the compact entry, address (4 or 16 bytes) then port, and sets the IPV6 flag to match. */
  writeAddress(slot: number, address: Uint8Array, port: number): void {
    const v6 = address.length === 16;
    const c = v6 ? (this.compact6 ??= Buffer.alloc(this.capacity * COMPACT6)) : this.compact4;
    const at = slot * (v6 ? COMPACT6 : COMPACT4);
    for (let i = 0; i < address.length; i++) c[at + i] = address[i]!;
    c[at + address.length] = port >>> 8;
    c[at + address.length + 1] = port & 0xff;
    this.flags[slot] = v6 ? this.flags[slot]! | IPV6 : this.flags[slot]! & ~IPV6;
  }

  /** The buffer and offset of a slot's compact entry. */
  compactOf(slot: number): { bytes: Buffer; at: number; length: number } {
    return this.flags[slot]! & IPV6
      ? { bytes: this.compact6!, at: slot * COMPACT6, length: COMPACT6 }
      : { bytes: this.compact4, at: slot * COMPACT4, length: COMPACT4 };
  }

  /** Whether a slot holds this address and port. */
  hasAddress(slot: number, address: Uint8Array, port: number): boolean {
    const v6 = address.length === 16;
    if (Boolean(this.flags[slot]! & IPV6) !== v6) return false;
    const c = v6 ? this.compact6! : this.compact4;
    const at = slot * (v6 ? COMPACT6 : COMPACT4);
    for (let i = 0; i < address.length; i++) if (c[at + i] !== address[i]) return false;
    return c[at + address.length] === port >>> 8 && c[at + address.length + 1] === (port & 0xff);
  }

  portOf(slot: number): number {
    const { bytes, at, length } = this.compactOf(slot);
    return (bytes[at + length - 2]! << 8) | bytes[at + length - 1]!;
  }

  private grow(): void {
    const old = [this.compact4, this.compact6, this.peerIds, this.peerIdTag, this.lastSeen, this.flags, this.listIndex, this.ownerOf, this.allLinks.older, this.allLinks.newer, this.ownerLinks.older, this.ownerLinks.newer];
    const n = Math.min(this.capacity * 2, this.maxSlots);
    this.compact4 = resized(this.compact4, n * COMPACT4);
    if (this.compact6) this.compact6 = resized(this.compact6, n * COMPACT6);
    this.peerIds = resized(this.peerIds, n * PEER_ID_LENGTH);
    this.peerIdTag = resizedInt32(this.peerIdTag, n);
    this.lastSeen = resizedFloat64(this.lastSeen, n);
    this.flags = resizedUint8(this.flags, n);
    this.listIndex = resizedInt32(this.listIndex, n);
    this.ownerOf = resizedInt32(this.ownerOf, n);
    this.allLinks = { older: resizedInt32(this.allLinks.older, n), newer: resizedInt32(this.allLinks.newer, n) };
    this.ownerLinks = { older: resizedInt32(this.ownerLinks.older, n), newer: resizedInt32(this.ownerLinks.newer, n) };
    for (const column of old) if (column) discard(column);
  }
}

function append(links: Links, ends: ListEnds, slot: number): void {
  links.older[slot] = ends.newest;
  links.newer[slot] = NONE;
  if (ends.newest === NONE) ends.oldest = slot;
  else links.newer[ends.newest] = slot;
  ends.newest = slot;
}

function unlink(links: Links, ends: ListEnds, slot: number): void {
  const older = links.older[slot]!;
  const newer = links.newer[slot]!;
  if (older === NONE) ends.oldest = newer;
  else links.newer[older] = newer;
  if (newer === NONE) ends.newest = older;
  else links.older[newer] = older;
}

/** FNV-1a over the 20 bytes. */
function peerIdTag(id: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < PEER_ID_LENGTH; i++) h = Math.imul(h ^ id[i]!, 0x01000193);
  return h | 0;
}
