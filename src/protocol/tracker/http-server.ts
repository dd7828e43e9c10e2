import { type Encodable, encode } from '../bencode/index.js';
import { normalizeHost } from './address.js';
import { TrackerError } from './errors.js';
import { encodeCompactPeers, encodeCompactPeers6, encodeDictionaryPeers, type TrackerPeer } from './peers.js';
import { parseQuery, type QueryParam } from './query.js';
import type { AnnounceResponse, ScrapeStats } from './types.js';
import { checkInteger, checkInterval } from './validate.js';

/** Parses the raw query of a scrape request: every `info_hash` (none means "all", if the server allows). */
export function parseScrapeQuery(rawQuery: string): { infoHashes: Buffer[] } {
  const infoHashes = parseQuery(rawQuery)
    .filter((p: QueryParam) => p.name === 'info_hash')
    .map((p) => hash(p.value, 'info_hash'));
  return { infoHashes };
}

function hash(value: Buffer, name: string): Buffer {
  if (value.length !== 20) throw new TrackerError('invalid-parameter', `${name} is ${value.length} bytes, not 20`);
  return value;
}

export interface EncodeAnnounceOptions {
  /** BEP 23: IPv4 peers as a compact `peers` string and IPv6 ones in `peers6` (BEP 7). */
  compact: boolean;
  /** Dictionary form only: write each `peer id` (false when the client sent no_peer_id=1). */
  includePeerId?: boolean;
}

/** A bencoded announce reply. In compact form every peer must be an IP literal. */
export function encodeAnnounceResponse(response: AnnounceResponse, options: EncodeAnnounceOptions): Buffer {
  checkInterval(response.interval, 'interval');
  if (response.minInterval !== undefined) checkInterval(response.minInterval, 'minInterval');
  if (response.complete !== undefined) checkInteger(response.complete, 'complete', 0, Number.MAX_SAFE_INTEGER);
  if (response.incomplete !== undefined) checkInteger(response.incomplete, 'incomplete', 0, Number.MAX_SAFE_INTEGER);
  if (response.downloaded !== undefined) checkInteger(response.downloaded, 'downloaded', 0, Number.MAX_SAFE_INTEGER);
  const dict: Record<string, Encodable | undefined> = {
    interval: response.interval,
    'min interval': response.minInterval,
    complete: response.complete,
    incomplete: response.incomplete,
    downloaded: response.downloaded,
    'tracker id': response.trackerId,
    'warning message': response.warning,
  };
  if (options.compact) {
    const v4: TrackerPeer[] = [];
    const v6: TrackerPeer[] = [];
    for (const peer of response.peers) {
      const kind = normalizeHost(peer.host)?.kind;
      if (kind === 'ipv4') v4.push(peer);
      else if (kind === 'ipv6') v6.push(peer);
      else throw new TrackerError('invalid-argument', `${JSON.stringify(peer.host)} is not an IP address`);
    }
    dict['peers'] = encodeCompactPeers(v4);
    if (v6.length > 0) dict['peers6'] = encodeCompactPeers6(v6);
  } else {
    dict['peers'] = encodeDictionaryPeers(response.peers, options.includePeerId ?? true);
  }
  return encode(dict);
}

/** The counters of a compact announce reply. */
export interface CompactAnnounceFields {
  interval: number;
  minInterval?: number;
  complete?: number;
  incomplete?: number;
  downloaded?: number;
}

/**
 * A compact announce reply from peers already in compact form (6 bytes each for `peers`, 18 for
 * `peers6`, left out when undefined): the bytes encodeAnnounceResponse gives for the same reply,
 * written in one pass into one buffer (no string built on the way), for a tracker's hot path.
 */
export function encodeCompactAnnounceResponse(fields: CompactAnnounceFields, peers: Uint8Array, peers6?: Uint8Array): Buffer {
  checkInterval(fields.interval, 'interval');
  if (fields.minInterval !== undefined) checkInterval(fields.minInterval, 'minInterval');
  if (peers.length % 6 !== 0) throw new TrackerError('invalid-argument', `peers is ${peers.length} bytes, not a multiple of 6`);
  if (peers6 && peers6.length % 18 !== 0) throw new TrackerError('invalid-argument', `peers6 is ${peers6.length} bytes, not a multiple of 18`);
  checkCount(fields.complete, 'complete');
  checkCount(fields.downloaded, 'downloaded');
  checkCount(fields.incomplete, 'incomplete');
  // Keys in bencode order.
  const size =
    2 +
    integerSize(KEY_COMPLETE, fields.complete) +
    integerSize(KEY_DOWNLOADED, fields.downloaded) +
    integerSize(KEY_INCOMPLETE, fields.incomplete) +
    integerSize(KEY_INTERVAL, fields.interval) +
    integerSize(KEY_MIN_INTERVAL, fields.minInterval) +
    stringSize(KEY_PEERS, peers) +
    (peers6 ? stringSize(KEY_PEERS6, peers6) : 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = 0x64; // d
  let at = writeInteger(out, 1, KEY_COMPLETE, fields.complete);
  at = writeInteger(out, at, KEY_DOWNLOADED, fields.downloaded);
  at = writeInteger(out, at, KEY_INCOMPLETE, fields.incomplete);
  at = writeInteger(out, at, KEY_INTERVAL, fields.interval);
  at = writeInteger(out, at, KEY_MIN_INTERVAL, fields.minInterval);
  at = writeString(out, at, KEY_PEERS, peers);
  if (peers6) at = writeString(out, at, KEY_PEERS6, peers6);
  out[at] = 0x65; // e
  return out;
}

function checkCount(value: number | undefined, key: string): void {
  if (value !== undefined) checkInteger(value, key, 0, Number.MAX_SAFE_INTEGER);
}

/** Each key as bencode writes it, with the `i` of an integer value. */
const KEY_COMPLETE = Buffer.from('8:completei', 'latin1');
const KEY_DOWNLOADED = Buffer.from('10:downloadedi', 'latin1');
const KEY_INCOMPLETE = Buffer.from('10:incompletei', 'latin1');
const KEY_INTERVAL = Buffer.from('8:intervali', 'latin1');
const KEY_MIN_INTERVAL = Buffer.from('12:min intervali', 'latin1');
const KEY_PEERS = Buffer.from('5:peers', 'latin1');
const KEY_PEERS6 = Buffer.from('6:peers6', 'latin1');

function integerSize(key: Uint8Array, value: number | undefined): number {
  return value === undefined ? 0 : key.length + digitCount(value) + 1;
}

function stringSize(key: Uint8Array, value: Uint8Array): number {
  return key.length + digitCount(value.length) + 1 + value.length;
}

/** Decimal digits of a safe non-negative integer. */
function digitCount(value: number): number {
  let digits = 1;
  for (let n = value; n >= 10; n = Math.floor(n / 10)) digits++;
  return digits;
}

/** Writes `key`, `value` in decimal and `e`; nothing when undefined. Returns the next offset. */
function writeInteger(out: Buffer, at: number, key: Uint8Array, value: number | undefined): number {
  if (value === undefined) return at;
  out.set(key, at);
  const end = writeDecimal(out, at + key.length, value);
  out[end] = 0x65; // e
  return end + 1;
}

/** Writes `key`, the value's length, `:` and its bytes. Returns the next offset. */
function writeString(out: Buffer, at: number, key: Uint8Array, value: Uint8Array): number {
  out.set(key, at);
  const colon = writeDecimal(out, at + key.length, value.length);
  out[colon] = 0x3a; // :
  out.set(value, colon + 1);
  return colon + 1 + value.length;
}

function writeDecimal(out: Buffer, at: number, value: number): number {
  const end = at + digitCount(value);
  let n = value;
  for (let i = end - 1; i >= at; i--) {
    out[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

/** A bencoded scrape reply (BEP 48); keys are infohashes in hex, as parseScrapeResponse returns them. */
export function encodeScrapeResponse(files: ReadonlyMap<string, ScrapeStats>): Buffer {
  // Null prototype: keys are binary infohashes, never to be mistaken for object properties.
  const dict = Object.create(null) as Record<string, Encodable>;
  for (const [hex, stats] of files) {
    if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new TrackerError('invalid-argument', `${JSON.stringify(hex)} is not a hex infohash`);
    for (const k of ['complete', 'downloaded', 'incomplete'] as const) {
      checkInteger(stats[k], k, 0, Number.MAX_SAFE_INTEGER);
    }
    dict[Buffer.from(hex, 'hex').toString('latin1')] = {
      complete: stats.complete,
      downloaded: stats.downloaded,
      incomplete: stats.incomplete,
    };
  }
  return encode({ files: dict });
}

/** A bencoded refusal: `failure reason` only (BEP 3). */
export function encodeFailure(reason: string): Buffer {
  return encode({ 'failure reason': reason });
}
