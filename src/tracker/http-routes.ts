import { ProtocolError } from '../protocol/errors.js';
import {
  type CompactAnnounceFields,
  type TrackerPeer,
  encodeAnnounceResponse,
  encodeCompactAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  normalizeHost,
  parseAnnounceQuery,
  parseScrapeQuery,
  type ScrapeStats,
  type TrackerHttpReply,
  type TrackerHttpRequest,
} from '../protocol/tracker/index.js';
import { clientAddressBytes } from './client-address.js';
import type { PeerAnnounce } from './swarm-registry.js';
import { NOT_ALLOWED, type TrackerCore } from './tracker-core.js';

/**
 * Serves one HTTP request: `GET /announce`, `GET /scrape`, `GET /stats`; 404 for other paths, 405 for
 * other methods. A bad announce or scrape gets a bencoded `failure reason` with status 200, as
 * trackers do (clients show the reason only from a 200). Never throws.
 */
export function handleHttpRequest(core: TrackerCore, request: TrackerHttpRequest, now: number): TrackerHttpReply {
  const q = request.url.indexOf('?');
  const path = q === -1 ? request.url : request.url.slice(0, q);
  const rawQuery = q === -1 ? '' : request.url.slice(q + 1);
  const route = ROUTES.get(path);
  if (route === undefined) {
    core.counts.http.notFound++;
    return text(404, 'not found\n');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'only GET\n');
  if (route === 'stats') {
    core.counts.http.stats++;
    return { status: 200, contentType: 'application/json', body: Buffer.from(`${JSON.stringify(core.stats())}\n`) };
  }
  core.counts.http[route]++;
  try {
    return bencoded(route === 'announce' ? announce(core, request, rawQuery, now) : scrape(core, rawQuery));
  } catch (err) {
    core.counts.http.failed++;
    // Our own codec's errors say what was wrong with the request; anything else is our bug.
    const reason = err instanceof ProtocolError || err instanceof RefusalError ? err.message : 'internal tracker error';
    return bencoded(encodeFailure(reason));
  }
}

const ROUTES = new Map<string, 'announce' | 'scrape' | 'stats'>([
  ['/announce', 'announce'],
  ['/scrape', 'scrape'],
  ['/stats', 'stats'],
]);

class RefusalError extends Error {}

/** Room for one reply's compact peers, grown to the largest asked for (maxNumwant × 18 at most). */
let peerBytes = Buffer.alloc(200 * 18);
const address = new Uint8Array(16);
const ADDRESS_V4 = address.subarray(0, 4);
/** The registry and the encoder read these during the call only: one of each serves every announce. */
const announced: PeerAnnounce = { infoHash: address, peerId: address, address, port: 0, left: 0, event: undefined, numwant: undefined };
const replyFields: Required<CompactAnnounceFields> = { interval: 1, minInterval: 1, complete: 0, incomplete: 0, downloaded: 0 };

function announce(core: TrackerCore, request: TrackerHttpRequest, rawQuery: string, now: number): Buffer {
  const query = parseAnnounceQuery(rawQuery);
  if (!core.allows(query.infoHash)) throw new RefusalError(NOT_ALLOWED);
  const length = announcedAddress(core, request.remoteAddress, query.ip);
  const registry = core.registry;
  const peer = announced;
  peer.infoHash = query.infoHash;
  peer.peerId = query.peerId;
  peer.address = length === 4 ? ADDRESS_V4 : address;
  peer.port = query.port;
  peer.left = query.left;
  peer.event = query.event;
  peer.numwant = query.numwant;
  const outcome = registry.announce(peer, now, core.rng);
  const fields = replyFields;
  fields.interval = core.config.interval;
  fields.minInterval = core.config.minInterval;
  fields.complete = outcome.complete;
  fields.incomplete = outcome.incomplete;
  fields.downloaded = outcome.downloaded;
  // BEP 23: compact unless the client asks otherwise: IPv4 peers in `peers`, IPv6 ones in `peers6` (BEP 7).
  if (query.compact ?? true) {
    const v4 = registry.listedOf('ipv4') * 6;
    const v6 = registry.listedOf('ipv6') * 18;
    if (peerBytes.length < v4 + v6) peerBytes = Buffer.alloc(v4 + v6);
    registry.writeCompactPeers(peerBytes, 0, 'ipv4');
    registry.writeCompactPeers(peerBytes, v4, 'ipv6');
    return encodeCompactAnnounceResponse(fields, peerBytes.subarray(0, v4), v6 > 0 ? peerBytes.subarray(v4, v4 + v6) : undefined);
  }
  // The dictionary form carries peer ids unless no_peer_id=1.
  const withIds = !query.noPeerId;
  const peers: TrackerPeer[] = registry
    .listedPeers()
    .map((p) => (withIds ? { host: p.host, port: p.port, peerId: Buffer.from(p.peerId, 'latin1') } : { host: p.host, port: p.port }));
  return encodeAnnounceResponse({ ...fields, peers }, { compact: false, includePeerId: withIds });
}

/**
 * The socket's address, or the `ip` parameter only when configured to trust it (and it is an IP),
 * written to `address`; returns its length.
 */
function announcedAddress(core: TrackerCore, remoteAddress: string, ipParam: string | undefined): 4 | 16 {
  if (core.config.trustIp && ipParam !== undefined) {
    const kind = normalizeHost(ipParam)?.kind;
    const claimed = kind === 'ipv4' || kind === 'ipv6' ? clientAddressBytes(ipParam, address) : 0;
    if (claimed !== 0) return claimed;
  }
  const length = clientAddressBytes(remoteAddress, address);
  if (length === 0) throw new RefusalError('cannot tell your address');
  return length;
}

function scrape(core: TrackerCore, rawQuery: string): Buffer {
  const { infoHashes } = parseScrapeQuery(rawQuery);
  // A full scrape (no info_hash) would list every torrent: refused, it is a cheap way to make us work.
  if (infoHashes.length === 0) throw new RefusalError('scrape needs at least one info_hash');
  if (infoHashes.length > core.config.maxScrapeHashes) {
    throw new RefusalError(`scrape asks about ${infoHashes.length} infohashes; at most ${core.config.maxScrapeHashes} at a time`);
  }
  const files = new Map<string, ScrapeStats>();
  for (const hash of infoHashes) files.set(hash.toString('hex'), core.registry.scrape(hash));
  return encodeScrapeResponse(files);
}

function bencoded(body: Buffer): TrackerHttpReply {
  return { status: 200, contentType: 'text/plain', body };
}

function text(status: number, body: string): TrackerHttpReply {
  return { status, contentType: 'text/plain; charset=utf-8', body: Buffer.from(body) };
}
