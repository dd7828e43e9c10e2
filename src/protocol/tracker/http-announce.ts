import type { BValue } from '../bencode/index.js';
import { decodeCompactPeers, decodeCompactPeers6, decodeDictionaryPeers, type TrackerPeer } from './peers.js';
import { TrackerError } from './errors.js';
import { decodeReplyBody, ReplyFields } from './http-body.js';
import { appendQuery, checkHttpUrl, joinQuery, percentEncode } from './query.js';
import { ANNOUNCE_EVENTS, type AnnounceEvent, type AnnounceResponse } from './types.js';
import { checkAmount, checkHash, checkInteger, checkInterval, checkPort } from './validate.js';

/** What a client tells an HTTP tracker (BEP 3, BEP 23 `compact`, BEP 7 `key`). */
export interface HttpAnnounceParams {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  /** Ask for a compact peer list (default true: `compact=1`). */
  compact?: boolean;
  event?: AnnounceEvent;
  numwant?: number;
  /** Strings are sent as UTF-8. */
  key?: string | Uint8Array;
  /** The `tracker id` of an earlier reply, echoed back. */
  trackerId?: string | Uint8Array;
  ip?: string;
}

/**
 * The full announce URL. The announce URL's own query (a passkey, say) is kept and ours appended;
 * binary values are escaped byte by byte (see query.ts).
 */
export function buildAnnounceUrl(announceUrl: string, params: HttpAnnounceParams): string {
  checkHttpUrl(announceUrl);
  checkHash(params.infoHash, 'infoHash');
  checkHash(params.peerId, 'peerId');
  checkPort(params.port);
  checkAmount(params.uploaded, 'uploaded');
  checkAmount(params.downloaded, 'downloaded');
  checkAmount(params.left, 'left');
  if (params.numwant !== undefined) checkInteger(params.numwant, 'numwant', 0, 0x7fffffff);
  if (params.event !== undefined && !ANNOUNCE_EVENTS.includes(params.event)) {
    throw new TrackerError('invalid-argument', `unknown event ${JSON.stringify(params.event)}`);
  }
  const parts: [string, string][] = [
    ['info_hash', percentEncode(params.infoHash)],
    ['peer_id', percentEncode(params.peerId)],
    ['port', String(params.port)],
    ['uploaded', String(params.uploaded)],
    ['downloaded', String(params.downloaded)],
    ['left', String(params.left)],
    ['compact', params.compact === false ? '0' : '1'],
  ];
  if (params.event !== undefined) parts.push(['event', params.event]);
  if (params.numwant !== undefined) parts.push(['numwant', String(params.numwant)]);
  if (params.key !== undefined) parts.push(['key', percentEncode(params.key)]);
  if (params.trackerId !== undefined) parts.push(['trackerid', percentEncode(params.trackerId)]);
  if (params.ip !== undefined) parts.push(['ip', percentEncode(params.ip)]);
  return appendQuery(announceUrl, joinQuery(parts));
}

export interface AnnounceSuccess extends AnnounceResponse {
  type: 'success';
}

/** The tracker refused (`failure reason`): an answer, not a decoding problem, so it is returned. */
export interface TrackerFailure {
  type: 'failure';
  reason: string;
}

export type HttpAnnounceResult = AnnounceSuccess | TrackerFailure;

/**
 * Parses an HTTP announce reply body; throws TrackerError when it is not a valid reply. There is no
 * separate cap on the number of peers: each costs at least 6 body bytes, so the caller's limit on
 * the body size bounds it.
 */
export function parseAnnounceResponse(body: Uint8Array): HttpAnnounceResult {
  const dict = decodeReplyBody(body, 'announce reply');
  const fields = new ReplyFields(dict, 'announce reply');
  const reason = fields.text('failure reason');
  if (reason !== undefined) return { type: 'failure', reason };

  const interval = readInterval(dict['interval'], 'interval', 'invalid-interval');
  if (interval === undefined) throw new TrackerError('missing-interval', 'announce reply has no interval');
  const minInterval = readInterval(dict['min interval'], 'min interval', 'invalid-min-interval');
  const result: AnnounceSuccess = {
    type: 'success',
    interval,
    peers: [...readPeers(fields), ...readPeers6(fields)],
  };
  if (minInterval !== undefined) result.minInterval = minInterval;
  const trackerId = fields.bytes('tracker id');
  if (trackerId !== undefined) result.trackerId = Buffer.from(trackerId);
  const complete = fields.count('complete');
  if (complete !== undefined) result.complete = complete;
  const incomplete = fields.count('incomplete');
  if (incomplete !== undefined) result.incomplete = incomplete;
  const downloaded = fields.count('downloaded');
  if (downloaded !== undefined) result.downloaded = downloaded;
  const warning = fields.text('warning message');
  if (warning !== undefined) result.warning = warning;
  return result;
}

function readInterval(
  value: BValue | undefined,
  what: string,
  code: 'invalid-interval' | 'invalid-min-interval',
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TrackerError(code, `${what} is not an integer that fits in 32 bits`);
  checkInterval(value, what, code);
  return value;
}

// `peers` is optional in practice: trackers with nothing to offer, or only IPv6 peers, leave it out.
function readPeers(fields: ReplyFields): TrackerPeer[] {
  const peers = fields.raw('peers');
  if (peers === undefined) return [];
  return Buffer.isBuffer(peers) ? decodeCompactPeers(peers) : decodeDictionaryPeers(peers);
}

function readPeers6(fields: ReplyFields): TrackerPeer[] {
  const peers6 = fields.raw('peers6');
  if (peers6 === undefined) return [];
  if (!Buffer.isBuffer(peers6)) throw new TrackerError('invalid-peers', 'peers6 is not a byte string');
  return decodeCompactPeers6(peers6);
}
