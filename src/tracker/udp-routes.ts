import {
  type AddressFamily,
  TrackerError,
  type UdpAnnounceRequest,
  type UdpResponse,
  type TrackerDatagram,
  type UdpScrapeRequest,
  decodeUdpRequest,
  encodeUdpResponse,
} from '../protocol/tracker/index.js';
import { type ClientAddress, clientAddress } from './client-address.js';
import { NOT_ALLOWED, type TrackerCore } from './tracker-core.js';

/*
 * BEP 15 over one datagram. The reply goes back in the family the request came over (BEP 15: 6-byte
 * peers over IPv4, 18-byte peers over IPv6), which a dual-stack socket reports as an IPv4-mapped
 * address for IPv4 clients. Lists are capped so a reply fits in one unfragmented datagram:
 * 200 × 6 bytes over IPv4, 66 × 18 bytes over IPv6 (opentracker's limits).
 */
const MAX_PEERS: Record<AddressFamily, number> = { IPv4: 200, IPv6: 66 };

/** An error packet for a request we cannot read says only its error code: a short reply to a short packet. */
const INVALID_CONNECTION = 'invalid or expired connection id';

/** Serves one datagram; undefined when there is nothing to answer (too short to hold a transaction id). Never throws. */
export function handleDatagram(core: TrackerCore, datagram: TrackerDatagram, now: number): Buffer | undefined {
  const from = clientAddress(datagram.address);
  if (!from || datagram.data.length < 16) {
    core.counts.udp.ignored++;
    return undefined;
  }
  const family: AddressFamily = from.family === 'ipv6' ? 'IPv6' : 'IPv4';
  const reply = (response: UdpResponse): Buffer => {
    if (response.action === 'error') core.counts.udp.failed++;
    return encodeUdpResponse(response, family);
  };
  let request;
  try {
    request = decodeUdpRequest(datagram.data);
  } catch (err) {
    const transactionId = datagram.data.readUInt32BE(12);
    const message = err instanceof TrackerError ? err.code : 'bad request';
    return reply({ action: 'error', transactionId, message });
  }
  try {
    switch (request.action) {
      case 'connect':
        core.counts.udp.connect++;
        return reply({
          action: 'connect',
          transactionId: request.transactionId,
          connectionId: core.connectionIds.issue(from.host, now),
        });
      case 'announce':
        core.counts.udp.announce++;
        if (!core.connectionIds.verify(request.connectionId, from.host, now)) {
          return reply({ action: 'error', transactionId: request.transactionId, message: INVALID_CONNECTION });
        }
        return reply(announce(core, request, from, family, now));
      case 'scrape':
        core.counts.udp.scrape++;
        if (!core.connectionIds.verify(request.connectionId, from.host, now)) {
          return reply({ action: 'error', transactionId: request.transactionId, message: INVALID_CONNECTION });
        }
        return reply(scrape(core, request));
    }
  } catch {
    return reply({ action: 'error', transactionId: request.transactionId, message: 'internal tracker error' });
  }
}

function announce(core: TrackerCore, request: UdpAnnounceRequest, from: ClientAddress, family: AddressFamily, now: number): UdpResponse {
  if (!core.allows(request.infoHash)) return { action: 'error', transactionId: request.transactionId, message: NOT_ALLOWED };
  // The `ip` field (IPv4 only in BEP 15) is believed only when configured to trust it.
  const claimed = core.config.trustIp && request.ip !== undefined ? clientAddress(request.ip) : undefined;
  const peer = claimed ?? from;
  const outcome = core.registry.announce(
    {
      infoHash: request.infoHash,
      peerId: request.peerId,
      host: peer.host,
      family: peer.family,
      port: request.port,
      left: request.left,
      event: request.event,
      numwant: request.numWant,
      onlyFamily: from.family,
      maxPeers: MAX_PEERS[family],
    },
    now,
    core.rng,
  );
  return {
    action: 'announce',
    transactionId: request.transactionId,
    interval: core.config.interval,
    leechers: Math.min(outcome.incomplete, 0xffffffff),
    seeders: Math.min(outcome.complete, 0xffffffff),
    peers: outcome.peers.map((p) => ({ host: p.host, port: p.port })),
  };
}

function scrape(core: TrackerCore, request: UdpScrapeRequest): UdpResponse {
  // Positions matter in a UDP scrape reply, so a torrent we do not track (or may not) reads as zeros.
  const stats = request.infoHashes.map((hash) => {
    const s = core.registry.scrape(hash);
    return { complete: s.complete, downloaded: Math.min(s.downloaded, 0xffffffff), incomplete: s.incomplete };
  });
  return { action: 'scrape', transactionId: request.transactionId, stats };
}
