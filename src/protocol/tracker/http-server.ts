import { type Encodable, encode } from '../bencode/index.js';
import { normalizeHost } from './address.js';
import { TrackerError } from './errors.js';
import { encodeCompactPeers, encodeCompactPeers6, encodeDictionaryPeers, type TrackerPeer } from './peers.js';
import { parseQuery, percentDecode, type QueryParam } from './query.js';
import { ANNOUNCE_EVENTS, type AnnounceEvent, type AnnounceResponse, type ScrapeStats } from './types.js';
import { checkInteger, checkInterval } from './validate.js';

/** An HTTP announce as a tracker receives it. */
export interface HttpAnnounceRequest {
  infoHash: Buffer;
  peerId: Buffer;
  /** 0..65535; 0 (not connectable) is the server's to judge. */
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event?: AnnounceEvent;
  /** Undefined when the client did not say; BEP 23 suggests compact by default. */
  compact?: boolean;
  noPeerId?: boolean;
  numwant?: number;
  key?: Buffer;
  trackerId?: Buffer;
  /** The `ip` parameter as sent (BEP 3); whether to trust it is the server's decision. */
  ip?: string;
}

type AnnounceParam = 'info_hash' | 'peer_id' | 'port' | 'uploaded' | 'downloaded' | 'left' | 'event' | 'compact' | 'no_peer_id' | 'numwant' | 'key' | 'trackerid' | 'ip';
const KNOWN: ReadonlySet<string> = new Set<AnnounceParam>([
  'info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left', 'event', 'compact', 'no_peer_id', 'numwant', 'key',
  'trackerid', 'ip',
]);

/**
 * Parses the raw query of an announce request (the part after `?`, as it came off the request line).
 * Every known parameter may appear once; unknown ones (supportcrypto, corrupt, redundant, …) are ignored,
 * though their escapes must be well formed. One pass over the text: only the values read are decoded.
 */
export function parseAnnounceQuery(rawQuery: string): HttpAnnounceRequest {
  const params = rawParams(rawQuery);
  const required = (name: AnnounceParam): string => {
    const v = params.get(name);
    if (v === undefined) throw new TrackerError('missing-parameter', `${name} is missing`);
    return v;
  };
  const request: HttpAnnounceRequest = {
    infoHash: hash(percentDecode(required('info_hash')), 'info_hash'),
    peerId: hash(percentDecode(required('peer_id')), 'peer_id'),
    port: decimal(required('port'), 'port', 65535),
    uploaded: decimal(required('uploaded'), 'uploaded'),
    downloaded: decimal(required('downloaded'), 'downloaded'),
    left: decimal(required('left'), 'left'),
  };
  const event = decodedText(params.get('event'));
  // BEP 3: `empty` is the same as no event.
  if (event !== undefined && event !== '' && event !== 'empty') {
    if (!(ANNOUNCE_EVENTS as readonly string[]).includes(event)) {
      throw new TrackerError('invalid-parameter', `event ${JSON.stringify(event)} is not started, completed or stopped`);
    }
    request.event = event as AnnounceEvent;
  }
  const compact = params.get('compact');
  if (compact !== undefined) request.compact = flag(compact, 'compact');
  const noPeerId = params.get('no_peer_id');
  if (noPeerId !== undefined) request.noPeerId = flag(noPeerId, 'no_peer_id');
  const numwant = params.get('numwant');
  if (numwant !== undefined) request.numwant = decimal(numwant, 'numwant', 0x7fffffff);
  const key = params.get('key');
  if (key !== undefined) request.key = percentDecode(key);
  const trackerId = params.get('trackerid');
  if (trackerId !== undefined) request.trackerId = percentDecode(trackerId);
  const ip = params.get('ip');
  if (ip !== undefined) request.ip = percentDecode(ip).toString('utf8');
  return request;
}

/**
 * The known parameters' values, still escaped. Errors come in the order decoding every parameter
 * first would give them: a malformed escape anywhere, then a repeated parameter.
 */
function rawParams(rawQuery: string): Map<AnnounceParam, string> {
  const params = new Map<AnnounceParam, string>();
  let repeated: string | undefined;
  const end = rawQuery.length;
  for (let at = rawQuery.startsWith('?') ? 1 : 0; at <= end; ) {
    let amp = rawQuery.indexOf('&', at);
    if (amp === -1) amp = end;
    if (amp > at) {
      let eq = rawQuery.indexOf('=', at);
      if (eq === -1 || eq > amp) eq = amp;
      const rawName = rawQuery.slice(at, eq);
      const value = eq === amp ? '' : rawQuery.slice(eq + 1, amp);
      checkEscapes(rawName);
      checkEscapes(value);
      const name = rawName.includes('%') ? percentDecode(rawName).toString('latin1') : rawName;
      if (KNOWN.has(name)) {
        if (params.has(name as AnnounceParam)) repeated ??= name;
        else params.set(name as AnnounceParam, value);
      }
    }
    at = amp + 1;
  }
  if (repeated !== undefined) throw new TrackerError('duplicate-parameter', `${repeated} appears more than once`);
  return params;
}

/** Throws what percentDecode would throw, without decoding a well-formed text. */
function checkEscapes(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || (c === 0x25 && !(isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))))) percentDecode(text);
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function decodedText(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  return raw.includes('%') ? percentDecode(raw).toString('latin1') : raw;
}

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

const DIGITS = /^[0-9]{1,16}$/;

function decimal(raw: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const text = decodedText(raw)!;
  const n = DIGITS.test(text) ? Number(text) : NaN;
  if (!(n <= max)) throw new TrackerError('invalid-parameter', `${name} ${JSON.stringify(text)} is not an integer in 0..${max}`);
  return n;
}

function flag(raw: string, name: string): boolean {
  const text = decodedText(raw)!;
  if (text !== '0' && text !== '1') throw new TrackerError('invalid-parameter', `${name} must be 0 or 1`);
  return text === '1';
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
 * written in one pass, for a tracker's hot path.
 */
export function encodeCompactAnnounceResponse(fields: CompactAnnounceFields, peers: Uint8Array, peers6?: Uint8Array): Buffer {
  checkInterval(fields.interval, 'interval');
  if (fields.minInterval !== undefined) checkInterval(fields.minInterval, 'minInterval');
  if (peers.length % 6 !== 0) throw new TrackerError('invalid-argument', `peers is ${peers.length} bytes, not a multiple of 6`);
  if (peers6 && peers6.length % 18 !== 0) throw new TrackerError('invalid-argument', `peers6 is ${peers6.length} bytes, not a multiple of 18`);
  // Keys in bencode order.
  const head =
    count('complete', fields.complete) +
    count('downloaded', fields.downloaded) +
    count('incomplete', fields.incomplete) +
    `8:intervali${fields.interval}e` +
    (fields.minInterval === undefined ? '' : `12:min intervali${fields.minInterval}e`) +
    `5:peers${peers.length}:`;
  const middle = peers6 ? `6:peers6${peers6.length}:` : '';
  const size = 1 + head.length + peers.length + middle.length + (peers6?.length ?? 0) + 1;
  const out = Buffer.allocUnsafe(size);
  out[0] = 0x64; // d
  let at = 1 + out.write(head, 1, 'latin1');
  out.set(peers, at);
  at += peers.length;
  if (peers6) {
    at += out.write(middle, at, 'latin1');
    out.set(peers6, at);
    at += peers6.length;
  }
  out[at] = 0x65; // e
  return out;
}

function count(key: string, value: number | undefined): string {
  if (value === undefined) return '';
  checkInteger(value, key, 0, Number.MAX_SAFE_INTEGER);
  return `${key.length}:${key}i${value}e`;
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
