import { decode, encode, isBDict } from '../protocol/bencode/index.js';
import { COMPACT_NODE_V4, COMPACT_NODE_V6, NODE_ID_BYTES, type NodeContact, decodeCompactNodes, encodeCompactNodes } from '../protocol/krpc/index.js';

/*
 * The routing table kept between runs: our node id and the nodes we knew, as a bencoded dictionary
 * `{ id, nodes, nodes6 }` in compact node form (libtorrent keeps the same in its session state).
 * Reading is forgiving: a damaged file gives nothing, never an error (the DHT bootstraps instead).
 */

export interface SavedDhtState {
  id?: Buffer;
  nodes: NodeContact[];
}

/** At most this many nodes are saved (160 buckets of 8 could hold more; the closest are what matters). */
const MAX_SAVED_NODES = 500;

export function encodeDhtState(state: SavedDhtState): Buffer {
  const nodes = state.nodes.slice(0, MAX_SAVED_NODES);
  return encode({ id: state.id, nodes: encodeCompactNodes(nodes, 'IPv4'), nodes6: encodeCompactNodes(nodes, 'IPv6') });
}

export function decodeDhtState(bytes: Uint8Array): SavedDhtState {
  try {
    const value = decode(bytes);
    if (!isBDict(value)) return { nodes: [] };
    const id = Buffer.isBuffer(value.id) && value.id.length === NODE_ID_BYTES ? Buffer.from(value.id) : undefined;
    const list = (raw: unknown, size: number, family: 'IPv4' | 'IPv6') =>
      Buffer.isBuffer(raw) && raw.length % size === 0 ? decodeCompactNodes(raw, family).filter((n) => n.port > 0) : [];
    const nodes = [...list(value.nodes, COMPACT_NODE_V4, 'IPv4'), ...list(value.nodes6, COMPACT_NODE_V6, 'IPv6')].slice(0, MAX_SAVED_NODES);
    return { ...(id ? { id } : {}), nodes };
  } catch {
    return { nodes: [] };
  }
}
