import { type BDict, BencodeError, type BValue, decode, isBDict } from '../bencode/index.js';
import { TrackerError } from './errors.js';

// Replies are flat: dict → peers list → peer dict, or dict → files → stats. Room for extensions.
const MAX_DEPTH = 8;
const TOLERATED = new Set(['unsorted-keys', 'leading-zero', 'trailing-bytes']);

/**
 * Decodes an HTTP tracker reply body to its top-level dictionary. Strict bencode first; many real
 * trackers write dictionary keys unsorted (and some add a trailing newline or leading zeros), so on
 * exactly those errors we decode again in lenient mode rather than lose the reply. Anything else that
 * is not bencode is an 'invalid-bencode' TrackerError.
 */
export function decodeReplyBody(body: Uint8Array, what: string): BDict {
  let value: BValue;
  try {
    value = decodeStrictThenLenient(body);
  } catch (err) {
    if (err instanceof BencodeError) throw new TrackerError('invalid-bencode', `${what}: ${err.message}`);
    throw err;
  }
  if (!isBDict(value)) throw new TrackerError('not-a-dict', `${what} is not a bencoded dictionary`);
  return value;
}

function decodeStrictThenLenient(body: Uint8Array): BValue {
  try {
    return decode(body, { mode: 'strict', maxDepth: MAX_DEPTH });
  } catch (err) {
    if (!(err instanceof BencodeError) || !TOLERATED.has(err.code)) throw err;
    return decode(body, { mode: 'lenient', maxDepth: MAX_DEPTH });
  }
}

/** Typed optional fields of a reply dictionary; a field of the wrong type is an error, not ignored. */
export class ReplyFields {
  constructor(
    private readonly dict: BDict,
    private readonly where: string,
  ) {}

  bytes(key: string): Buffer | undefined {
    const v = this.dict[key];
    if (v === undefined) return undefined;
    if (!Buffer.isBuffer(v)) throw new TrackerError('invalid-field', `${this.where}.${key} is not a byte string`);
    return v;
  }

  text(key: string): string | undefined {
    return this.bytes(key)?.toString('utf8');
  }

  /** A non-negative integer JS can hold exactly. */
  count(key: string): number | undefined {
    const v = this.dict[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || v < 0) {
      throw new TrackerError('invalid-field', `${this.where}.${key} is not a non-negative integer`);
    }
    return v;
  }

  raw(key: string): BValue | undefined {
    return this.dict[key];
  }
}
