import type { PeerContact } from '../protocol/krpc/index.js';

/*
 * The peers other nodes announced to us (announce_peer), by infohash: what get_peers answers with.
 * Bounded: at most `maxTorrents` infohashes (the one announced longest ago is forgotten first) and
 * `maxPeersPerTorrent` peers each (the oldest announce gives way); an announce expires after
 * `expiryMs` unless renewed (libtorrent: 30 minutes, clients re-announce every 15).
 */

export interface PeerStoreOptions {
  maxTorrents: number;
  maxPeersPerTorrent: number;
  expiryMs: number;
  /** Peers in one get_peers answer (about 8 bytes each: 100 keep a reply near 1 KiB). */
  maxPeersPerReply: number;
}

export const DEFAULT_PEER_STORE_OPTIONS: PeerStoreOptions = { maxTorrents: 2000, maxPeersPerTorrent: 200, expiryMs: 30 * 60_000, maxPeersPerReply: 50 };

interface StoredPeer extends PeerContact {
  seed: boolean;
  at: number;
}

export class PeerStore {
  readonly options: PeerStoreOptions;
  /** Map order is announce order: the first entry is the stalest torrent / peer. */
  private readonly torrents = new Map<string, Map<string, StoredPeer>>();

  constructor(options: Partial<PeerStoreOptions> = {}) {
    this.options = { ...DEFAULT_PEER_STORE_OPTIONS, ...options };
  }

  get torrentCount(): number {
    return this.torrents.size;
  }

  get peerCount(): number {
    let n = 0;
    for (const peers of this.torrents.values()) n += peers.size;
    return n;
  }

  announce(infoHash: string, peer: PeerContact, seed: boolean, now: number): void {
    let peers = this.torrents.get(infoHash);
    if (peers) this.torrents.delete(infoHash);
    else peers = new Map();
    this.torrents.set(infoHash, peers);
    while (this.torrents.size > this.options.maxTorrents) this.torrents.delete(this.torrents.keys().next().value!);
    const key = `${peer.host}|${peer.port}`;
    peers.delete(key);
    peers.set(key, { host: peer.host, port: peer.port, seed, at: now });
    while (peers.size > this.options.maxPeersPerTorrent) peers.delete(peers.keys().next().value!);
  }

  /** Live peers of the torrent, the most recent announces first, at most maxPeersPerReply. */
  peers(infoHash: string, now: number): PeerContact[] {
    const peers = this.torrents.get(infoHash);
    if (!peers) return [];
    const out: PeerContact[] = [];
    for (const peer of [...peers.values()].reverse()) {
      if (now - peer.at >= this.options.expiryMs) continue;
      out.push({ host: peer.host, port: peer.port });
      if (out.length >= this.options.maxPeersPerReply) break;
    }
    return out;
  }

  /** Forgets expired announces, and torrents left without any. */
  expire(now: number): void {
    for (const [infoHash, peers] of this.torrents) {
      for (const [key, peer] of peers) if (now - peer.at >= this.options.expiryMs) peers.delete(key);
      if (peers.size === 0) this.torrents.delete(infoHash);
    }
  }
}
