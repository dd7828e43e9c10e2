/**
 * A decoded bencode value.
 * - Integers are `number` when they fit in ±(2^53 − 1) and `bigint` up to the int64 range (as
 *   libtorrent, we refuse anything wider), so no integer is ever silently rounded.
 * - Byte strings are Buffers (views into the input, not copies).
 * - Dictionaries are null-prototype objects whose keys are the raw key bytes read as latin1 (one
 *   char per byte), so binary keys such as infohashes in a scrape reply survive exactly and no
 *   key (`__proto__`, `constructor`) can reach a prototype.
 */
export type BValue = number | bigint | Buffer | BList | BDict;
export type BList = BValue[];
export interface BDict {
  [key: string]: BValue | undefined;
}

export function isBDict(v: BValue | undefined): v is BDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** A null-prototype dictionary: safe to fill with keys from the wire. */
export function newBDict(): BDict {
  return Object.create(null) as BDict;
}
