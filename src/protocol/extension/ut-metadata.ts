import { BencodeError, decodePrefix, encode } from '../bencode/index.js';
import { type BValue, isBDict } from '../bencode/types.js';
import { ExtensionError } from './errors.js';

/**
 * BEP 9 ut_metadata messages: a bencoded dictionary `{msg_type, piece[, total_size]}`, followed, for
 * `data`, by the piece's raw bytes. The info dictionary travels in 16 KiB pieces; the last may be
 * shorter. A data message whose piece does not fit its own `total_size` is refused here; whether the
 * size matches the one the peer announced is the fetcher's to check.
 */

export const UT_METADATA = 'ut_metadata';
export const METADATA_PIECE_SIZE = 16 * 1024;

export type MetadataMessage =
  | { readonly type: 'request'; readonly piece: number }
  /** `data` is a view into the received payload: copy it to keep it. */
  | { readonly type: 'data'; readonly piece: number; readonly totalSize: number; readonly data: Buffer }
  | { readonly type: 'reject'; readonly piece: number }
  /** BEP 9: message types we do not know are ignored, not fatal. */
  | { readonly type: 'unknown'; readonly msgType: number };

const MSG_TYPE = { request: 0, data: 1, reject: 2 } as const;

/** How many 16 KiB pieces an info dictionary of `size` bytes takes. */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE);
}

/** The length of piece `piece` of an info dictionary of `size` bytes. */
export function metadataPieceLength(size: number, piece: number): number {
  return Math.min(METADATA_PIECE_SIZE, size - piece * METADATA_PIECE_SIZE);
}

export function encodeMetadataMessage(message: Exclude<MetadataMessage, { type: 'unknown' }>): Buffer {
  if (message.type !== 'data') return encode({ msg_type: MSG_TYPE[message.type], piece: message.piece });
  const header = encode({ msg_type: MSG_TYPE.data, piece: message.piece, total_size: message.totalSize });
  return Buffer.concat([header, message.data]);
}

export function decodeMetadataMessage(payload: Buffer): MetadataMessage {
  let value: BValue;
  let end: number;
  try {
    ({ value, end } = decodePrefix(payload));
  } catch (err) {
    if (err instanceof BencodeError) throw new ExtensionError('invalid-bencoding', `ut_metadata: ${err.message}`);
    throw err;
  }
  if (!isBDict(value)) throw new ExtensionError('not-a-dict', 'ut_metadata message is not a dictionary');
  const msgType = value['msg_type'];
  const piece = value['piece'];
  if (typeof msgType !== 'number') throw new ExtensionError('invalid-field', 'ut_metadata msg_type is missing or not an integer');
  if (msgType !== MSG_TYPE.request && msgType !== MSG_TYPE.data && msgType !== MSG_TYPE.reject) return { type: 'unknown', msgType };
  if (typeof piece !== 'number' || piece < 0 || piece > 0xffff_ffff) {
    throw new ExtensionError('invalid-field', 'ut_metadata piece is missing or out of range');
  }
  const trailing = payload.length - end;
  if (msgType !== MSG_TYPE.data) {
    if (trailing !== 0) throw new ExtensionError('invalid-field', `ut_metadata ${msgType === 0 ? 'request' : 'reject'} has ${trailing} trailing bytes`);
    return { type: msgType === MSG_TYPE.request ? 'request' : 'reject', piece };
  }
  const totalSize = value['total_size'];
  if (typeof totalSize !== 'number' || totalSize < 1) throw new ExtensionError('invalid-field', 'ut_metadata total_size is missing or not positive');
  if (piece >= metadataPieceCount(totalSize)) {
    throw new ExtensionError('invalid-piece', `ut_metadata piece ${piece} is past the end of ${totalSize} bytes`);
  }
  const expected = metadataPieceLength(totalSize, piece);
  if (trailing !== expected) {
    throw new ExtensionError('invalid-piece', `ut_metadata piece ${piece} has ${trailing} bytes, expected ${expected}`);
  }
  return { type: 'data', piece, totalSize, data: payload.subarray(end) };
}
