import {
  MAX_UDP_REPLY_BYTES,
  type TrackerDatagram,
  UDP_ANNOUNCE_REPLY_HEADER,
  UDP_CONNECTION_ID_OFFSET,
  UDP_INFO_HASH_OFFSET,
  UDP_PEER_ID_OFFSET,
  UDP_SCRAPE_HASHES_OFFSET,
  readUdpRequest,
  udpRequestView,
  writeUdpAnnounceHeader,
  writeUdpConnectHeader,
  writeUdpError,
  writeUdpScrapeEntry,
  writeUdpScrapeHeader,
} from '../protocol/tracker/index.js';
import { clientAddressBytes } from './client-address.js';
import type { PeerAnnounce } from './swarm-registry.js';
import { NOT_ALLOWED, type TrackerCore } from './tracker-core.js';

/*
 * BEP 15 over one datagram, answered in place: the request is read from the datagram and the reply
 * written into the transport's buffer, with nothing allocated per packet on the way (the hot path
 * of a UDP tracker). The reply goes back in the family the request came over (BEP 15: 6-byte
 * peers over IPv4, 18-byte peers over IPv6), which a dual-stack socket reports as an IPv4-mapped
 * address for IPv4 clients. Lists are capped so a reply fits in one unfragmented datagram:
 * 200 × 6 bytes over IPv4, 66 × 18 bytes over IPv6 (opentracker's limits); the longest reply,
 * 20 + 200 × 6 bytes, fits in MAX_UDP_REPLY_BYTES (a scrape of 74 infohashes takes 896).
 */
const MAX_PEERS_V4 = 200;
const MAX_PEERS_V6 = 66;

/** An error packet for a request we cannot read says only its error code: a short reply to a short packet. */
const INVALID_CONNECTION = 'invalid or expired connection id';

/*
 * Scratch shared by every call: answerDatagram is synchronous and never re-entered, and the
 * registry reads a request only during its call.
 */
const view = udpRequestView();
const source = new Uint8Array(16);
const claimed = new Uint8Array(4);
const infoHash = Buffer.alloc(20);
const peerId = Buffer.alloc(20);
const announce: PeerAnnounce = { infoHash, peerId, address: source, port: 0, left: 0 };

/**
 * Serves one datagram from `address` (as the socket reports it), writing the reply into `out`
 * (MAX_UDP_REPLY_BYTES of room); returns the reply's length, 0 when there is nothing to answer
 * (too short to hold a transaction id). Never throws.
 */
export function answerDatagram(core: TrackerCore, data: Uint8Array, address: string, now: number, out: Buffer): number {
  const counts = core.counts.udp;
  const length = data.length < 16 ? 0 : clientAddressBytes(address, source);
  if (length === 0) {
    counts.ignored++;
    return 0;
  }
  const refused = readUdpRequest(data, view);
  if (refused !== undefined) return failed(core, out, refused);
  try {
    if (view.action === 'connect') {
      counts.connect++;
      writeUdpConnectHeader(out, view.transactionId);
      core.connectionIds.issueInto(source, length, now, out, 8);
      return 16;
    }
    if (view.action === 'announce') counts.announce++;
    else counts.scrape++;
    if (!core.connectionIds.verifyAt(data, UDP_CONNECTION_ID_OFFSET, source, length, now)) return failed(core, out, INVALID_CONNECTION);
    return view.action === 'announce' ? answerAnnounce(core, data, length, now, out) : answerScrape(core, data, out);
  } catch {
    return failed(core, out, 'internal tracker error');
  }
}

/** The same, for callers that want the reply as its own Buffer (tests, the simulator). */
export function handleDatagram(core: TrackerCore, datagram: TrackerDatagram, now: number): Buffer | undefined {
  const out = Buffer.alloc(MAX_UDP_REPLY_BYTES);
  const length = answerDatagram(core, datagram.data, datagram.address, now, out);
  return length === 0 ? undefined : Buffer.from(out.subarray(0, length));
}

function answerAnnounce(core: TrackerCore, data: Uint8Array, family: 4 | 16, now: number, out: Buffer): number {
  copy20(data, UDP_INFO_HASH_OFFSET, infoHash);
  if (!core.allows(infoHash)) return failed(core, out, NOT_ALLOWED);
  copy20(data, UDP_PEER_ID_OFFSET, peerId);
  // The `ip` field (IPv4 only in BEP 15) is believed only when configured to trust it.
  if (core.config.trustIp && view.ip !== 0) {
    claimed[0] = view.ip >>> 24;
    claimed[1] = (view.ip >>> 16) & 0xff;
    claimed[2] = (view.ip >>> 8) & 0xff;
    claimed[3] = view.ip & 0xff;
    announce.address = claimed;
  } else {
    announce.address = family === 4 ? SOURCE_V4 : source;
  }
  announce.port = view.port;
  announce.left = view.left;
  announce.event = view.event;
  announce.numwant = view.numWant;
  announce.onlyFamily = family === 4 ? 'ipv4' : 'ipv6';
  announce.maxPeers = family === 4 ? MAX_PEERS_V4 : MAX_PEERS_V6;
  const registry = core.registry;
  const outcome = registry.announce(announce, now, core.rng);
  writeUdpAnnounceHeader(out, view.transactionId, core.config.interval, outcome.incomplete, outcome.complete);
  return UDP_ANNOUNCE_REPLY_HEADER + registry.writeCompactPeers(out, UDP_ANNOUNCE_REPLY_HEADER, announce.onlyFamily);
}

/** The first 4 bytes of `source`, for an IPv4 client. */
const SOURCE_V4 = source.subarray(0, 4);

function answerScrape(core: TrackerCore, data: Uint8Array, out: Buffer): number {
  // Positions matter in a UDP scrape reply, so a torrent we do not track (or may not) reads as zeros.
  writeUdpScrapeHeader(out, view.transactionId);
  for (let i = 0; i < view.hashes; i++) {
    copy20(data, UDP_SCRAPE_HASHES_OFFSET + 20 * i, infoHash);
    const s = core.registry.scrape(infoHash);
    writeUdpScrapeEntry(out, i, s.complete, s.downloaded, s.incomplete);
  }
  return 8 + 12 * view.hashes;
}

function failed(core: TrackerCore, out: Buffer, message: string): number {
  core.counts.udp.failed++;
  return writeUdpError(out, view.transactionId, message);
}

function copy20(from: Uint8Array, at: number, to: Uint8Array): void {
  for (let i = 0; i < 20; i++) to[i] = from[at + i]!;
}
