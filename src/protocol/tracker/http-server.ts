import { type Encodable, encode } from '../bencode/index.js';
import { normalizeHost } from './address.js';
import { TrackerError } from './errors.js';
import { encodeCompactPeers, encodeCompactPeers6, encodeDictionaryPeers, type TrackerPeer } from './peers.js';
import { parseQuery, type QueryParam } from './query.js';
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

const SINGLE = new Set([
  'info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left', 'event', 'compact', 'no_peer_id', 'numwant', 'key',
  'trackerid', 'ip',
]);

/**
 * Parses the raw query of an announce request (the part after `?`, as it came off the request line).
 * Every known parameter may appear once; unknown ones (supportcrypto, corrupt, redundant, …) are ignored.
 */
export function parseAnnounceQuery(rawQuery: string): HttpAnnounceRequest {
  const params = new Map<string, Buffer>();
  for (const { name, value } of parseQuery(rawQuery)) {
    if (!SINGLE.has(name)) continue;
    if (params.has(name)) throw new TrackerError('duplicate-parameter', `${name} appears more than once`);
    params.set(name, value);
  }
  const required = (name: string): Buffer => {
    const v = params.get(name);
    if (v === undefined) throw new TrackerError('missing-parameter', `${name} is missing`);
    return v;
  };
  const request: HttpAnnounceRequest = {
    infoHash: hash(required('info_hash'), 'info_hash'),
    peerId: hash(required('peer_id'), 'peer_id'),
    port: decimal(required('port'), 'port', 65535),
    uploaded: decimal(required('uploaded'), 'uploaded'),
    downloaded: decimal(required('downloaded'), 'downloaded'),
    left: decimal(required('left'), 'left'),
  };
  const event = params.get('event')?.toString('latin1');
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
  if (key !== undefined) request.key = key;
  const trackerId = params.get('trackerid');
  if (trackerId !== undefined) request.trackerId = trackerId;
  const ip = params.get('ip');
  if (ip !== undefined) request.ip = ip.toString('utf8');
  return request;
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

function decimal(value: Buffer, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const text = value.toString('latin1');
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n <= max)) throw new TrackerError('invalid-parameter', `${name} ${JSON.stringify(text)} is not an integer in 0..${max}`);
  return n;
}

function flag(value: Buffer, name: string): boolean {
  const text = value.toString('latin1');
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
