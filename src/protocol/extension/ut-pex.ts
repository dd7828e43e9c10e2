import { BencodeError, decode, encode } from '../bencode/index.js';
import { type BDict, type BValue, isBDict } from '../bencode/types.js';
import { formatIPv4, formatIPv6, parseIPv4 } from '../tracker/address.js';
import { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH, type PeerAddress, encodeCompactPeers, encodeCompactPeers6 } from '../tracker/peers.js';
import { ExtensionError } from './errors.js';

/**
 * BEP 11 ut_pex messages: a bencoded dictionary of compact peer lists, `added` / `added.f` /
 * `dropped` for IPv4 and `added6` / `added6.f` / `dropped6` for IPv6 (BEP 23 / BEP 7 layout), one
 * flag byte per added peer. Every field is optional and libtorrent sends empty strings for the lists
 * it has nothing in. A list whose length is not a whole number of entries, or a field of the wrong
 * type, is an error; a missing or short flags string gives the peers without it flags 0 (libtorrent
 * would drop the whole list). At most `maxEntries` peers of each list are read, the rest are counted
 * in `skipped`: the decoder's work is bounded whatever the frame holds. Port 0 entries are skipped
 * (nobody can be dialled there), as the tracker decoders do.
 */

export const UT_PEX = 'ut_pex';

/** The `added.f` bits (BEP 11). */
export const PEX_FLAGS = {
  /** Prefers encryption (`e` in its extension handshake). */
  encryption: 0x01,
  /** A seed or upload-only. */
  seed: 0x02,
  /** Supports uTP. */
  utp: 0x04,
  /** Speaks ut_holepunch. */
  holepunch: 0x08,
  /** The sender connected out to it: it is reachable. */
  reachable: 0x10,
} as const;

/** Entries read from each of `added`, `added6`, `dropped`, `dropped6` by default (libtorrent sends at most 100). */
export const MAX_PEX_ENTRIES = 200;

export interface PexPeer extends PeerAddress {
  /** `PEX_FLAGS` bits; 0 when the sender gave none. */
  readonly flags: number;
}

export interface PexMessage {
  /** IPv4 and IPv6 peers, `added` before `added6`. */
  readonly added: readonly PexPeer[];
  readonly dropped: readonly PeerAddress[];
}

export interface DecodedPexMessage extends PexMessage {
  /** Entries past `maxEntries` (or with port 0) that were not read. */
  readonly skipped: number;
}

export function decodePexMessage(payload: Uint8Array, options: { maxEntries?: number } = {}): DecodedPexMessage {
  const maxEntries = options.maxEntries ?? MAX_PEX_ENTRIES;
  let value: BValue;
  try {
    value = decode(payload);
  } catch (err) {
    if (err instanceof BencodeError) throw new ExtensionError('invalid-bencoding', `ut_pex: ${err.message}`);
    throw err;
  }
  if (!isBDict(value)) throw new ExtensionError('not-a-dict', 'ut_pex message is not a dictionary');
  const added4 = readList(value, 'added', COMPACT_IPV4_LENGTH, formatIPv4, maxEntries, flagsOf(value, 'added.f'));
  const added6 = readList(value, 'added6', COMPACT_IPV6_LENGTH, formatIPv6, maxEntries, flagsOf(value, 'added6.f'));
  const dropped4 = readList(value, 'dropped', COMPACT_IPV4_LENGTH, formatIPv4, maxEntries);
  const dropped6 = readList(value, 'dropped6', COMPACT_IPV6_LENGTH, formatIPv6, maxEntries);
  return {
    added: [...added4.peers, ...added6.peers],
    dropped: [...dropped4.peers, ...dropped6.peers].map(({ host, port }) => ({ host, port })),
    skipped: added4.skipped + added6.skipped + dropped4.skipped + dropped6.skipped,
  };
}

/**
 * The payload of a ut_pex message. Hosts are IPv4 or IPv6 text (`::ffff:a.b.c.d` goes in the IPv4
 * lists); `added.f` / `added6.f` always accompany their lists (libtorrent ignores a list without
 * them). Empty lists are left out; a message with none holds an empty `added` (BEP 11 wants one list).
 */
export function encodePexMessage(message: PexMessage): Buffer {
  const added4 = message.added.filter((p) => v4Host(p.host) !== undefined);
  const added6 = message.added.filter((p) => v4Host(p.host) === undefined);
  const dropped4 = message.dropped.filter((p) => v4Host(p.host) !== undefined);
  const dropped6 = message.dropped.filter((p) => v4Host(p.host) === undefined);
  for (const peer of message.added) {
    if (!Number.isInteger(peer.flags) || peer.flags < 0 || peer.flags > 255) throw new RangeError(`ut_pex: flags ${peer.flags} of ${peer.host} are not a byte`);
  }
  const dict: Record<string, Buffer> = {};
  if (added4.length > 0) {
    dict['added'] = encodeCompactPeers(added4.map((p) => ({ host: v4Host(p.host)!, port: p.port })));
    dict['added.f'] = Buffer.from(added4.map((p) => p.flags));
  }
  if (added6.length > 0) {
    dict['added6'] = encodeCompactPeers6(added6);
    dict['added6.f'] = Buffer.from(added6.map((p) => p.flags));
  }
  if (dropped4.length > 0) dict['dropped'] = encodeCompactPeers(dropped4.map((p) => ({ host: v4Host(p.host)!, port: p.port })));
  if (dropped6.length > 0) dict['dropped6'] = encodeCompactPeers6(dropped6);
  if (Object.keys(dict).length === 0) dict['added'] = Buffer.alloc(0);
  return encode(dict);
}

/** The dotted quad of an IPv4 (or IPv4-mapped IPv6) host; undefined for IPv6. */
function v4Host(host: string): string | undefined {
  const plain = host.startsWith('::ffff:') && host.includes('.') ? host.slice('::ffff:'.length) : host;
  return parseIPv4(plain) ? plain : undefined;
}

function flagsOf(dict: BDict, key: string): Buffer | undefined {
  const value = dict[key];
  if (value === undefined) return undefined;
  if (!Buffer.isBuffer(value)) throw new ExtensionError('invalid-field', `ut_pex ${key} is not a string`);
  return value;
}

function readList(
  dict: BDict,
  key: string,
  stride: number,
  format: (bytes: Uint8Array, offset: number) => string,
  maxEntries: number,
  flags?: Buffer,
): { peers: PexPeer[]; skipped: number } {
  const value = dict[key];
  if (value === undefined) return { peers: [], skipped: 0 };
  if (!Buffer.isBuffer(value)) throw new ExtensionError('invalid-field', `ut_pex ${key} is not a string`);
  if (value.length % stride !== 0) throw new ExtensionError('invalid-field', `ut_pex ${key} is ${value.length} bytes, not a multiple of ${stride}`);
  const count = value.length / stride;
  const peers: PexPeer[] = [];
  for (let i = 0; i < Math.min(count, maxEntries); i++) {
    const offset = i * stride;
    const port = value.readUInt16BE(offset + stride - 2);
    if (port === 0) continue;
    peers.push({ host: format(value, offset), port, flags: flags?.[i] ?? 0 });
  }
  return { peers, skipped: count - peers.length };
}
