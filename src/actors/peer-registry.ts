import type { PeerHandle } from '../engine/peer-handle.js';
import type { PeerWire } from '../engine/peer-wire.js';
import { type PeerActor, peerControl } from './peer-control.js';

/**
 * A torrent's connections, as immutable data the Torrent machine replaces in `assign`: every
 * connection from accept to close (with its PeerHandle once handshaken), the banned peer ids, and
 * what we sent to peers whose connections have closed. The rules live here as pure functions: the
 * duplicate-connection rule, refusing banned peers, per-peer totals.
 */

export interface PeerEntry {
  /** Unique for the life of the session: "host:port#n". */
  readonly key: string;
  readonly address: string;
  readonly direction: 'incoming' | 'outgoing';
  /** Where we learned of the peer: tracker, pex, lsd, manual… (`incoming` when it dialled us). */
  readonly source: string;
  /** When the connection was taken (the torrent's clock). */
  readonly since: number;
  /** The connection went through an MSE handshake (src/env/mse-socket.ts). */
  readonly encryption?: 'rc4' | 'mse-plaintext';
  /** Only for a uTP connection (TCP otherwise). */
  readonly transport?: 'utp';
  readonly wire: PeerWire;
  readonly actor: PeerActor;
  /** Set once the handshake completed and the peer is wired into the engines. */
  readonly handle?: PeerHandle;
}

export interface PeerRegistry {
  readonly entries: ReadonlyMap<string, PeerEntry>;
  /** Remote peer ids (hex) refused from now on. */
  readonly banned: ReadonlySet<string>;
  /** Payload bytes sent to peers whose connections have closed, by remote peer id (hex). */
  readonly uploadedToClosed: ReadonlyMap<string, number>;
  /** Numbers the next connection's key. */
  readonly serial: number;
}

export const emptyRegistry: PeerRegistry = { entries: new Map(), banned: new Set(), uploadedToClosed: new Map(), serial: 1 };

export function nextKey(registry: PeerRegistry, address: string): string {
  return `${address}#${registry.serial}`;
}

export function connectionAdded(registry: PeerRegistry, entry: PeerEntry): PeerRegistry {
  return { ...registry, entries: new Map(registry.entries).set(entry.key, entry), serial: registry.serial + 1 };
}

/** Connections open (handshaken or not). */
export function connectionCount(registry: PeerRegistry): number {
  return registry.entries.size;
}

export type Admission =
  | { admitted: true; registry: PeerRegistry; handle: PeerHandle; drop?: { key: string; reason: string } }
  | { admitted: false; drop: { key: string; reason: string } };

/**
 * A connection completed its handshake. Refused if the peer is banned. If we already have a
 * connection to the same peer, the two peers must close the same one of their two connections, or
 * both close and neither stays: the one dialled by the peer with the lower id is kept.
 */
export function admitPeer(
  registry: PeerRegistry,
  key: string,
  remote: { peerId: Buffer; fast: boolean; client?: string },
  localPeerId: Buffer,
): Admission {
  const entry = registry.entries.get(key);
  const peerId = remote.peerId.toString('hex');
  if (!entry) return { admitted: false, drop: { key, reason: 'connection gone' } };
  if (registry.banned.has(peerId)) return { admitted: false, drop: { key, reason: 'banned peer' } };
  let drop: { key: string; reason: string } | undefined;
  for (const other of registry.entries.values()) {
    if (other.key === key || other.handle?.peerId !== peerId) continue;
    const keep = localPeerId.compare(remote.peerId) < 0 ? 'outgoing' : 'incoming';
    const dropKey = entry.direction !== keep || other.direction === keep ? key : other.key;
    drop = { key: dropKey, reason: 'duplicate connection to the same peer' };
    if (dropKey === key) return { admitted: false, drop };
    break;
  }
  const handle: PeerHandle = { key, address: entry.address, peerId, wire: entry.wire, control: peerControl(entry.actor), fast: remote.fast, client: remote.client };
  return { admitted: true, registry: replaceEntry(registry, { ...entry, handle }), handle, drop };
}

/** Forgets a closed connection, keeping what we sent to that peer. */
export function connectionClosed(registry: PeerRegistry, key: string): PeerRegistry {
  const entry = registry.entries.get(key);
  if (!entry) return registry;
  const entries = new Map(registry.entries);
  entries.delete(key);
  let uploadedToClosed = registry.uploadedToClosed;
  const sent = entry.wire.upload.totalBytes;
  if (entry.handle && sent > 0) {
    uploadedToClosed = new Map(uploadedToClosed).set(entry.handle.peerId, (uploadedToClosed.get(entry.handle.peerId) ?? 0) + sent);
  }
  return { ...registry, entries, uploadedToClosed };
}

export function peerBanned(registry: PeerRegistry, peerId: string): PeerRegistry {
  if (registry.banned.has(peerId)) return registry;
  return { ...registry, banned: new Set(registry.banned).add(peerId) };
}

/** The open connections to a remote peer id. */
export function connectionsOf(registry: PeerRegistry, peerId: string): PeerEntry[] {
  return [...registry.entries.values()].filter((e) => e.handle?.peerId === peerId);
}

/** Handshaken connections. */
export function handshaken(registry: PeerRegistry): PeerHandle[] {
  const handles: PeerHandle[] = [];
  for (const entry of registry.entries.values()) if (entry.handle) handles.push(entry.handle);
  return handles;
}

/** Payload bytes sent to each peer in this session, by remote peer id (hex), closed connections included. */
export function uploadedByPeer(registry: PeerRegistry): Map<string, number> {
  const sent = new Map(registry.uploadedToClosed);
  for (const handle of handshaken(registry)) sent.set(handle.peerId, (sent.get(handle.peerId) ?? 0) + handle.wire.upload.totalBytes);
  return sent;
}

/**
 * At the peer limit, the connection a newcomer may replace (libtorrent's peer turnover): handshaken
 * at least `minAgeMs` ago, no interest either way and no payload exchanged — the oldest such one.
 */
export function turnoverCandidate(registry: PeerRegistry, now: number, minAgeMs: number): PeerEntry | undefined {
  for (const entry of registry.entries.values()) {
    const handle = entry.handle;
    if (!handle || now - entry.since < minAgeMs) continue;
    if (handle.control.amInterested || handle.control.peerInterested) continue;
    if (entry.wire.download.totalBytes > 0 || entry.wire.upload.totalBytes > 0) continue;
    return entry;
  }
  return undefined;
}

function replaceEntry(registry: PeerRegistry, entry: PeerEntry): PeerRegistry {
  return { ...registry, entries: new Map(registry.entries).set(entry.key, entry) };
}
