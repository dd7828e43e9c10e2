import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../tracker/address.js';
import { KrpcError } from './errors.js';
import { NODE_ID_BYTES, type NodeContact, type PeerContact } from './types.js';

/*
 * Compact encodings of BEP 5 (IPv4) and BEP 32 (IPv6): a peer is address + port (6 or 18 bytes),
 * a node is id + peer (26 or 38 bytes).
 */

export const COMPACT_NODE_V4 = NODE_ID_BYTES + 6;
export const COMPACT_NODE_V6 = NODE_ID_BYTES + 18;

export type AddressFamily = 'IPv4' | 'IPv6';

export function familyOf(host: string): AddressFamily | undefined {
  return parseIPv4(host) ? 'IPv4' : parseIPv6(host.split('%')[0]!) ? 'IPv6' : undefined;
}

export function encodeCompactPeer(peer: PeerContact): Buffer {
  const family = familyOf(peer.host);
  if (!family) throw new RangeError(`not an IP address: ${peer.host}`);
  const out = Buffer.alloc(family === 'IPv4' ? 6 : 18);
  const bytes = addressBytes(peer.host);
  bytes.copy(out, 0);
  out.writeUInt16BE(peer.port, bytes.length);
  return out;
}

export function decodeCompactPeer(bytes: Buffer): PeerContact {
  if (bytes.length === 6) return { host: formatIPv4(bytes), port: bytes.readUInt16BE(4) };
  if (bytes.length === 18) return { host: formatIPv6(bytes), port: bytes.readUInt16BE(16) };
  throw new KrpcError('invalid-response', `a compact peer is 6 or 18 bytes, not ${bytes.length}`);
}

/** Nodes of one family, concatenated; nodes of the other family are left out. */
export function encodeCompactNodes(nodes: readonly NodeContact[], family: AddressFamily): Buffer {
  const parts: Buffer[] = [];
  for (const node of nodes) {
    if (familyOf(node.host) !== family) continue;
    parts.push(node.id, encodeCompactPeer(node));
  }
  return Buffer.concat(parts);
}

export function decodeCompactNodes(bytes: Buffer, family: AddressFamily): NodeContact[] {
  const size = family === 'IPv4' ? COMPACT_NODE_V4 : COMPACT_NODE_V6;
  if (bytes.length % size !== 0) throw new KrpcError('invalid-response', `compact ${family} nodes: ${bytes.length} bytes is not a multiple of ${size}`);
  const nodes: NodeContact[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const peer = decodeCompactPeer(bytes.subarray(at + NODE_ID_BYTES, at + size));
    nodes.push({ id: Buffer.from(bytes.subarray(at, at + NODE_ID_BYTES)), host: peer.host, port: peer.port });
  }
  return nodes;
}

/** The address bytes of an IPv4 or IPv6 host (network order). */
export function addressBytes(host: string): Buffer {
  const bytes = parseIPv4(host) ?? parseIPv6(host.split('%')[0]!);
  if (!bytes) throw new RangeError(`not an IP address: ${host}`);
  return bytes;
}
