import { ProtocolError } from './errors.js';

/*
 * BEP 14 Local Service Discovery: the BT-SEARCH announce, an HTTP-like request sent by UDP
 * multicast. Pure: bytes in, typed values out. The decoder accepts what libtorrent, Transmission
 * and qBittorrent send: header names in any case, CRLF or bare LF, several `Infohash` headers, a
 * `cookie` or none, trailing blank lines, unknown headers (ignored, as BEP 14 asks).
 */

export const LSD_PORT = 6771;
export const LSD_GROUP_V4 = '239.192.152.143';
export const LSD_GROUP_V6 = 'ff15::efc0:988f';
/** BEP 14: an announce with several infohashes should not exceed this (MTU). */
export const LSD_MAX_ANNOUNCE_BYTES = 1400;
/** Anything longer is not an announce: refused before it is read. */
export const LSD_MAX_DATAGRAM_BYTES = 4096;

export type LsdFamily = 'IPv4' | 'IPv6';

export type LsdErrorCode =
  /** Longer than LSD_MAX_DATAGRAM_BYTES. */
  | 'too-long'
  /** The request line is not `BT-SEARCH <target> HTTP/1.x`. */
  | 'not-bt-search'
  /** A header line without a colon. */
  | 'malformed-header'
  | 'missing-port'
  | 'invalid-port'
  /** No `Infohash` header holds 40 hex digits. */
  | 'missing-infohash'
  /** A value the encoder cannot put on the wire. */
  | 'invalid-argument';

/** A BT-SEARCH datagram that cannot be used. */
export class LsdError extends ProtocolError {
  declare readonly code: LsdErrorCode;

  constructor(code: LsdErrorCode, message: string) {
    super(code, message);
  }
}

export interface LsdAnnounce {
  /** The listening port of the announcer (its address is the datagram's source). */
  port: number;
  /** Lower-case hex, 40 digits each, without duplicates, in the order sent. */
  infoHashes: string[];
  /** Opaque; lets a client recognise its own announces looped back to it. */
  cookie?: string;
  /** The `Host` header as sent (the multicast group), when present. */
  host?: string;
  /** `Infohash` headers that were not 40 hex digits (a v2 hash, garbage): skipped. */
  skippedInfoHashes: number;
}

export interface LsdAnnounceFields {
  family: LsdFamily;
  port: number;
  /** 40 hex digits each. */
  infoHashes: readonly string[];
  cookie?: string;
}

const HEX40 = /^[0-9a-fA-F]{40}$/;
const REQUEST_LINE = /^BT-SEARCH\s+\S+\s+HTTP\/1\.\d\s*$/i;
const COOKIE = /^[\x21-\x7e]{1,64}$/;

/** The `Host` header value for a family's group, as libtorrent writes it. */
export function lsdHost(family: LsdFamily): string {
  return family === 'IPv4' ? `${LSD_GROUP_V4}:${LSD_PORT}` : `[${LSD_GROUP_V6}]:${LSD_PORT}`;
}

/** Bytes of an announce with no infohash; each infohash adds INFOHASH_LINE_BYTES. */
function baseLength(fields: Omit<LsdAnnounceFields, 'infoHashes'>): number {
  return encodeLines({ ...fields, infoHashes: [] }).length;
}
const INFOHASH_LINE_BYTES = 'Infohash: \r\n'.length + 40;

/**
 * `BT-SEARCH * HTTP/1.1`, Host, Port, one `Infohash` line per hash, `cookie` when given, then an
 * empty line and one more CRLF, byte for byte what libtorrent sends (which older parsers expect).
 */
export function encodeLsdAnnounce(fields: LsdAnnounceFields): Buffer {
  if (!Number.isInteger(fields.port) || fields.port < 1 || fields.port > 65535) {
    throw new LsdError('invalid-argument', `port ${fields.port} is not 1-65535`);
  }
  if (fields.infoHashes.length === 0) throw new LsdError('invalid-argument', 'an announce needs at least one infohash');
  for (const hash of fields.infoHashes) {
    if (!HEX40.test(hash)) throw new LsdError('invalid-argument', `infohash ${JSON.stringify(hash)} is not 40 hex digits`);
  }
  if (fields.cookie !== undefined && !COOKIE.test(fields.cookie)) {
    throw new LsdError('invalid-argument', 'the cookie must be 1-64 printable characters without spaces');
  }
  const bytes = encodeLines(fields);
  if (bytes.length > LSD_MAX_ANNOUNCE_BYTES) {
    throw new LsdError('invalid-argument', `${fields.infoHashes.length} infohashes make ${bytes.length} bytes, over ${LSD_MAX_ANNOUNCE_BYTES}`);
  }
  return bytes;
}

function encodeLines(fields: LsdAnnounceFields): Buffer {
  const lines = [
    'BT-SEARCH * HTTP/1.1',
    `Host: ${lsdHost(fields.family)}`,
    `Port: ${fields.port}`,
    ...fields.infoHashes.map((hash) => `Infohash: ${hash.toLowerCase()}`),
    ...(fields.cookie === undefined ? [] : [`cookie: ${fields.cookie}`]),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n\r\n`, 'latin1');
}

/**
 * Splits infohashes into groups that each fit one announce of at most LSD_MAX_ANNOUNCE_BYTES
 * (about 25 a datagram), keeping their order.
 */
export function groupForAnnounce(infoHashes: readonly string[], fields: Omit<LsdAnnounceFields, 'infoHashes'>): string[][] {
  const perAnnounce = Math.max(1, Math.floor((LSD_MAX_ANNOUNCE_BYTES - baseLength(fields)) / INFOHASH_LINE_BYTES));
  const groups: string[][] = [];
  for (let i = 0; i < infoHashes.length; i += perAnnounce) groups.push(infoHashes.slice(i, i + perAnnounce));
  return groups;
}

/** Reads one BT-SEARCH datagram; throws LsdError when it is not a usable announce. */
export function decodeLsdAnnounce(bytes: Uint8Array): LsdAnnounce {
  if (bytes.length > LSD_MAX_DATAGRAM_BYTES) throw new LsdError('too-long', `${bytes.length} bytes is not an announce`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (!REQUEST_LINE.test(lines[0] ?? '')) throw new LsdError('not-bt-search', 'not a BT-SEARCH request');

  let port: string | undefined;
  let cookie: string | undefined;
  let host: string | undefined;
  const infoHashes: string[] = [];
  let skippedInfoHashes = 0;
  for (const line of lines.slice(1)) {
    if (line === '') break; // the end of the headers; what follows (blank lines) is ignored
    const colon = line.indexOf(':');
    if (colon <= 0) throw new LsdError('malformed-header', 'a header line without a name and a colon');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // The first of a repeated Port, cookie or Host counts, as in libtorrent's parser.
    if (name === 'port') port ??= value;
    else if (name === 'cookie') cookie ??= value;
    else if (name === 'host') host ??= value;
    else if (name === 'infohash') {
      if (!HEX40.test(value)) skippedInfoHashes++;
      else if (!infoHashes.includes(value.toLowerCase())) infoHashes.push(value.toLowerCase());
    }
  }
  if (port === undefined) throw new LsdError('missing-port', 'no Port header');
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new LsdError('invalid-port', `Port ${JSON.stringify(port.slice(0, 16))} is not 1-65535`);
  }
  if (infoHashes.length === 0) throw new LsdError('missing-infohash', 'no Infohash header with 40 hex digits');
  const announce: LsdAnnounce = { port: Number(port), infoHashes, skippedInfoHashes };
  if (cookie !== undefined && cookie !== '') announce.cookie = cookie;
  if (host !== undefined) announce.host = host;
  return announce;
}
