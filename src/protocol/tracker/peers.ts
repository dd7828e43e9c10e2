import { type BValue, type Encodable, isBDict } from '../bencode/index.js';
import { formatIPv4, formatIPv6, normalizeHost, parseIPv4, parseIPv6 } from './address.js';
import { TrackerError } from './errors.js';

/** Where to dial a peer. IPv6 hosts are in RFC 5952 form without brackets (see address.ts). */
export interface PeerAddress {
  host: string;
  port: number;
}

/** A peer from a tracker: dictionary-form lists (BEP 3) may also carry its peer id. */
export interface TrackerPeer extends PeerAddress {
  peerId?: Buffer;
}

export const COMPACT_IPV4_LENGTH = 6;
export const COMPACT_IPV6_LENGTH = 18;

/*
 * Decision on port 0: nobody can be dialled there, so decoders drop such entries silently and
 * encoders refuse them. A tracker server keeps non-connectable announcers out of peer lists itself.
 */

/** BEP 23 compact IPv4 peers: 4 address bytes + 2 port bytes each, big-endian. */
export function decodeCompactPeers(bytes: Uint8Array): PeerAddress[] {
  return decodeCompact(bytes, COMPACT_IPV4_LENGTH, 'peers', formatIPv4);
}

/** BEP 7 `peers6`: 16 address bytes + 2 port bytes each. */
export function decodeCompactPeers6(bytes: Uint8Array): PeerAddress[] {
  return decodeCompact(bytes, COMPACT_IPV6_LENGTH, 'peers6', formatIPv6);
}

export function encodeCompactPeers(peers: readonly PeerAddress[]): Buffer {
  return encodeCompact(peers, COMPACT_IPV4_LENGTH, parseIPv4, 'IPv4');
}

export function encodeCompactPeers6(peers: readonly PeerAddress[]): Buffer {
  return encodeCompact(peers, COMPACT_IPV6_LENGTH, parseIPv6, 'IPv6');
}

function decodeCompact(
  bytes: Uint8Array,
  stride: number,
  what: string,
  format: (b: Uint8Array, offset: number) => string,
): PeerAddress[] {
  if (bytes.length % stride !== 0) {
    throw new TrackerError('invalid-peers', `${what} is ${bytes.length} bytes, not a multiple of ${stride}`);
  }
  const peers: PeerAddress[] = [];
  for (let offset = 0; offset < bytes.length; offset += stride) {
    const port = (bytes[offset + stride - 2]! << 8) | bytes[offset + stride - 1]!;
    if (port === 0) continue;
    peers.push({ host: format(bytes, offset), port });
  }
  return peers;
}

function encodeCompact(
  peers: readonly PeerAddress[],
  stride: number,
  parse: (text: string) => Buffer | undefined,
  family: string,
): Buffer {
  const out = Buffer.alloc(peers.length * stride);
  peers.forEach((peer, i) => {
    const address = parse(peer.host);
    if (!address) throw new TrackerError('invalid-argument', `${JSON.stringify(peer.host)} is not an ${family} address`);
    checkPort(peer.port, 'invalid-argument');
    address.copy(out, i * stride);
    out.writeUInt16BE(peer.port, i * stride + stride - 2);
  });
  return out;
}

/**
 * BEP 3 dictionary-form peers: a list of `{ peer id, ip, port }`. `ip` may be IPv4, IPv6 or a DNS
 * name; IP literals are normalized. A malformed entry rejects the whole list (as a malformed compact
 * string does); `peer id` is optional because trackers honouring `no_peer_id` leave it out.
 */
export function decodeDictionaryPeers(value: BValue): TrackerPeer[] {
  if (!Array.isArray(value)) throw new TrackerError('invalid-peers', 'peers is neither a byte string nor a list');
  const peers: TrackerPeer[] = [];
  value.forEach((entry, i) => {
    if (!isBDict(entry)) throw new TrackerError('invalid-peer', `peers[${i}] is not a dictionary`);
    const ip = entry['ip'];
    const port = entry['port'];
    const peerId = entry['peer id'];
    if (!Buffer.isBuffer(ip)) throw new TrackerError('invalid-peer', `peers[${i}].ip is missing or not a byte string`);
    const host = normalizeHost(ip.toString('latin1'));
    if (!host) throw new TrackerError('invalid-peer', `peers[${i}].ip is not an IP address or host name`);
    if (typeof port !== 'number') throw new TrackerError('invalid-peer', `peers[${i}].port is missing or not an integer`);
    checkPort(port, 'invalid-peer', true);
    if (peerId !== undefined && !(Buffer.isBuffer(peerId) && peerId.length === 20)) {
      throw new TrackerError('invalid-peer', `peers[${i}].peer id is not a 20-byte string`);
    }
    if (port === 0) return;
    peers.push(peerId ? { host: host.host, port, peerId: Buffer.from(peerId) } : { host: host.host, port });
  });
  return peers;
}

/** Dictionary-form list for a bencoded response; `peer id` is written when known and wanted. */
export function encodeDictionaryPeers(peers: readonly TrackerPeer[], includePeerId = true): Encodable[] {
  return peers.map((peer) => {
    const host = normalizeHost(peer.host);
    if (!host) throw new TrackerError('invalid-argument', `${JSON.stringify(peer.host)} is not an IP address or host name`);
    checkPort(peer.port, 'invalid-argument');
    if (peer.peerId !== undefined && peer.peerId.length !== 20) {
      throw new TrackerError('invalid-argument', 'a peer id must be 20 bytes');
    }
    return {
      ip: host.host,
      port: peer.port,
      'peer id': includePeerId ? peer.peerId : undefined,
    };
  });
}

function checkPort(port: number, code: 'invalid-argument' | 'invalid-peer', allowZero = false): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new TrackerError(code, `port ${port} is not in 1..65535`);
  }
}
