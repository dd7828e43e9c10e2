import { BencodeError, decode, encode } from '../bencode/index.js';
import { type BDict, type BValue, isBDict } from '../bencode/types.js';
import { formatIPv4, formatIPv6 } from '../tracker/address.js';
import { ExtensionError } from './errors.js';

/**
 * The BEP 10 extension handshake (extended message id 0): a bencoded dictionary whose `m` maps each
 * extension name to the id the sender wants to receive it on. Every other key is optional and many
 * clients send odd values, so, as libtorrent does, a malformed optional field is ignored rather than
 * fatal; only a payload that is not a dictionary is an error. Unknown keys are ignored.
 */

/** Longest extension name and client string we keep; longer ones are ignored or cut. */
const MAX_NAME_BYTES = 64;
const MAX_CLIENT_CHARS = 100;
/** We read at most this many entries of `m` (libtorrent's clients send fewer than 20). */
export const MAX_EXTENSIONS = 64;

export interface ExtendedHandshake {
  /** Extension name → the extended id to send it with. Names whose id is 0 (disabled) are left out. */
  readonly m: ReadonlyMap<string, number>;
  /** `v`: client name and version, e.g. "libtorrent 2.0.8". */
  readonly client?: string;
  /** `p`: the port the sender listens on (useful for incoming connections and PEX). */
  readonly listenPort?: number;
  /** `reqq`: how many outstanding requests the sender will queue. */
  readonly requestQueue?: number;
  /** `yourip`: our address as the sender sees it (IPv4 or IPv6 text). */
  readonly yourIp?: string;
  /** BEP 9 `metadata_size`: bytes of the info dictionary. */
  readonly metadataSize?: number;
  /** libtorrent's `complete_ago`: seconds since the sender last had every piece (-1: never). */
  readonly completeAgo?: number;
  /** BEP 21 `upload_only`. */
  readonly uploadOnly?: boolean;
  /** `e`: the sender prefers encrypted connections (MSE); PEX passes it on as flag 0x01. */
  readonly preferEncryption?: boolean;
}

/** What we send; `m` as a plain record. */
export interface ExtendedHandshakeInit {
  m: Readonly<Record<string, number>>;
  client?: string;
  listenPort?: number;
  requestQueue?: number;
  /** Raw 4- or 16-byte address of the receiver, as we see it. */
  yourIp?: Uint8Array;
  metadataSize?: number;
  completeAgo?: number;
  uploadOnly?: boolean;
}

export function encodeExtendedHandshake(init: ExtendedHandshakeInit): Buffer {
  const m: Record<string, number> = {};
  for (const [name, id] of Object.entries(init.m)) {
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`extension ${name}: id ${id} is not a byte`);
    m[name] = id;
  }
  return encode({
    m,
    v: init.client,
    p: init.listenPort,
    reqq: init.requestQueue,
    yourip: init.yourIp,
    metadata_size: init.metadataSize,
    complete_ago: init.completeAgo,
    upload_only: init.uploadOnly === undefined ? undefined : init.uploadOnly ? 1 : 0,
  });
}

export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  let value: BValue;
  try {
    value = decode(payload);
  } catch (err) {
    if (err instanceof BencodeError) throw new ExtensionError('invalid-bencoding', `extension handshake: ${err.message}`);
    throw err;
  }
  if (!isBDict(value)) throw new ExtensionError('not-a-dict', 'extension handshake is not a dictionary');
  return {
    m: readExtensionMap(value['m']),
    client: optionalText(value['v']),
    listenPort: optionalInt(value['p'], 1, 65535),
    requestQueue: optionalInt(value['reqq'], 1, 1_000_000),
    yourIp: optionalAddress(value['yourip']),
    metadataSize: optionalInt(value['metadata_size'], 1, Number.MAX_SAFE_INTEGER),
    completeAgo: optionalInt(value['complete_ago'], -1, Number.MAX_SAFE_INTEGER),
    uploadOnly: value['upload_only'] === undefined ? undefined : value['upload_only'] !== 0,
    preferEncryption: value['e'] === undefined ? undefined : value['e'] === 1,
  };
}

function readExtensionMap(value: BValue | undefined): Map<string, number> {
  const m = new Map<string, number>();
  if (!isBDict(value)) return m;
  for (const key of Object.keys(value).slice(0, MAX_EXTENSIONS)) {
    const id = (value as BDict)[key];
    if (typeof id !== 'number' || id <= 0 || id > 255 || key.length === 0 || key.length > MAX_NAME_BYTES) continue;
    // Keys are latin1 (one char per byte); extension names are ASCII in practice.
    m.set(key, id);
  }
  return m;
}

function optionalInt(value: BValue | undefined, min: number, max: number): number | undefined {
  return typeof value === 'number' && value >= min && value <= max ? value : undefined;
}

function optionalText(value: BValue | undefined): string | undefined {
  if (!Buffer.isBuffer(value)) return undefined;
  // Control characters would garble a terminal or a log line.
  const text = value.toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return text ? text.slice(0, MAX_CLIENT_CHARS) : undefined;
}

function optionalAddress(value: BValue | undefined): string | undefined {
  if (!Buffer.isBuffer(value)) return undefined;
  if (value.length === 4) return formatIPv4(value);
  if (value.length === 16) return formatIPv6(value);
  return undefined;
}
