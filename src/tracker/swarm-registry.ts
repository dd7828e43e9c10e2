import type { AnnounceEvent, ScrapeStats } from '../protocol/tracker/index.js';
import type { IpFamily } from './client-address.js';

/*
 * The tracker's memory: torrents → peers. Pure: no sockets, no timers; time and randomness come in as
 * arguments. Every structure is bounded by a cap, and what goes past a cap evicts the least recently
 * seen entry, so a flood of made-up infohashes or peers costs CPU, never unbounded memory.
 *
 * Orders are kept by re-inserting into Maps and Sets (JS keeps insertion order), which makes both
 * "oldest first" eviction and the expiry sweep O(1) per entry removed:
 *   - `torrents`: by last announce;
 *   - `swarm.byKey`: a torrent's peers by last announce (the per-torrent cap evicts the first);
 *   - `order`: every peer by last announce (the global cap and the sweep take from the front).
 * Random peer selection needs indexable lists: each swarm also keeps its seeders and leechers in two
 * arrays, removed from by swapping in the last element.
 */

export interface RegistryLimits {
  maxTorrents: number;
  maxPeersPerTorrent: number;
  maxPeers: number;
  defaultNumwant: number;
  maxNumwant: number;
  /** A peer not heard from for this long is dropped (2 × interval). */
  peerTtlMs: number;
}

/** One announce, after the transport has decided the peer's address. */
export interface PeerAnnounce {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** Canonical IP text (see clientAddress). */
  host: string;
  family: IpFamily;
  /** 0: not connectable. Counted, never listed. */
  port: number;
  left: number;
  event?: AnnounceEvent;
  numwant?: number;
  /** List only peers of this family (a UDP reply carries one); undefined lists both (HTTP). */
  onlyFamily?: IpFamily;
  /** A smaller cap than maxNumwant for this reply. */
  maxPeers?: number;
}

/** A listed peer. `peerId` is latin1 text (one char per byte), to keep the registry compact. */
export interface SwarmPeer {
  readonly host: string;
  readonly port: number;
  readonly family: IpFamily;
  readonly peerId: string;
}

export interface AnnounceOutcome extends ScrapeStats {
  peers: SwarmPeer[];
}

export interface RegistryStats {
  torrents: number;
  peers: number;
  seeders: number;
  leechers: number;
  /** Dropped for a cap, and expired for silence, since the start. */
  evictedTorrents: number;
  evictedPeers: number;
  expiredPeers: number;
}

interface Swarm {
  readonly key: string;
  readonly byKey: Map<string, PeerEntry>;
  readonly seeders: PeerEntry[];
  readonly leechers: PeerEntry[];
  downloaded: number;
  lastActivity: number;
}

interface PeerEntry extends SwarmPeer {
  readonly swarm: Swarm;
  /** `host|port`: one entry per address a peer announces from (BEP 7: a peer may have two). */
  readonly key: string;
  peerId: string;
  seeder: boolean;
  /** Position in swarm.seeders or swarm.leechers. */
  index: number;
  lastSeen: number;
}

export class SwarmRegistry {
  private readonly torrents = new Map<string, Swarm>();
  private readonly order = new Set<PeerEntry>();
  private seederCount = 0;
  private evictedTorrents = 0;
  private evictedPeers = 0;
  private expiredPeers = 0;

  constructor(readonly limits: RegistryLimits) {}

  announce(request: PeerAnnounce, now: number, rng: () => number): AnnounceOutcome {
    const hashKey = latin1(request.infoHash);
    const peerId = latin1(request.peerId);
    // Unconnectable peers behind one address are told apart by their peer ids.
    const peerKey = request.port === 0 ? `${request.host}|0|${peerId}` : `${request.host}|${request.port}`;
    let swarm = this.torrents.get(hashKey);
    let self = swarm?.byKey.get(peerKey);
    // A download is counted once: when a peer we knew as a leecher reports left=0, whatever the event
    // (aria2 sends `stopped`, not `completed`, when it quits on finishing), or on `completed` from a
    // peer we did not know (one that finished while the tracker was restarting, say).
    const seeder = request.left === 0;
    const finished = seeder && (self ? !self.seeder : request.event === 'completed');

    if (request.event === 'stopped') {
      if (self) {
        if (finished) self.swarm.downloaded++;
        this.removePeer(self);
      }
      return { ...this.countsOf(swarm), peers: [] };
    }

    if (swarm) {
      this.torrents.delete(hashKey);
    } else {
      if (this.torrents.size >= this.limits.maxTorrents) this.evictOldestTorrent();
      swarm = { key: hashKey, byKey: new Map(), seeders: [], leechers: [], downloaded: 0, lastActivity: now };
    }
    this.torrents.set(hashKey, swarm);
    swarm.lastActivity = now;

    if (finished) swarm.downloaded++;
    if (self) {
      self.peerId = peerId;
      self.lastSeen = now;
      if (self.seeder !== seeder) {
        this.unlist(self);
        self.seeder = seeder;
        this.list(self);
      }
      swarm.byKey.delete(peerKey);
      this.order.delete(self);
    } else {
      if (swarm.byKey.size >= this.limits.maxPeersPerTorrent) this.evict(swarm.byKey.values().next().value!);
      if (this.order.size >= this.limits.maxPeers) this.evict(this.order.values().next().value!);
      self = { swarm, key: peerKey, host: request.host, port: request.port, family: request.family, peerId, seeder, index: -1, lastSeen: now };
      this.list(self);
    }
    swarm.byKey.set(peerKey, self);
    this.order.add(self);

    const want = Math.min(request.numwant ?? this.limits.defaultNumwant, request.maxPeers ?? Infinity, this.limits.maxNumwant);
    return { ...this.countsOf(swarm), peers: pickPeers(swarm, self, want, request.onlyFamily, rng) };
  }

  scrape(infoHash: Uint8Array): ScrapeStats {
    return this.countsOf(this.torrents.get(latin1(infoHash)));
  }

  /** Drops peers silent for peerTtlMs, then torrents with no peer and no announce for as long. */
  sweep(now: number): { expiredPeers: number; droppedTorrents: number } {
    const cutoff = now - this.limits.peerTtlMs;
    let expiredPeers = 0;
    for (const peer of this.order) {
      if (peer.lastSeen > cutoff) break;
      this.removePeer(peer);
      expiredPeers++;
    }
    this.expiredPeers += expiredPeers;
    let droppedTorrents = 0;
    for (const swarm of this.torrents.values()) {
      if (swarm.lastActivity > cutoff) break;
      // Every peer of a torrent this quiet has expired above; the check guards against a clock that stepped back.
      if (swarm.byKey.size === 0) {
        this.torrents.delete(swarm.key);
        droppedTorrents++;
      }
    }
    return { expiredPeers, droppedTorrents };
  }

  stats(): RegistryStats {
    return {
      torrents: this.torrents.size,
      peers: this.order.size,
      seeders: this.seederCount,
      leechers: this.order.size - this.seederCount,
      evictedTorrents: this.evictedTorrents,
      evictedPeers: this.evictedPeers,
      expiredPeers: this.expiredPeers,
    };
  }

  /** The peers of one torrent, least recently seen first (for tests and inspection). */
  peersOf(infoHash: Uint8Array): SwarmPeer[] {
    return [...(this.torrents.get(latin1(infoHash))?.byKey.values() ?? [])];
  }

  private countsOf(swarm: Swarm | undefined): ScrapeStats {
    if (!swarm) return { complete: 0, incomplete: 0, downloaded: 0 };
    return { complete: swarm.seeders.length, incomplete: swarm.leechers.length, downloaded: swarm.downloaded };
  }

  private evictOldestTorrent(): void {
    const oldest = this.torrents.values().next().value;
    if (!oldest) return;
    for (const peer of oldest.byKey.values()) {
      this.removePeer(peer);
      this.evictedPeers++;
    }
    this.torrents.delete(oldest.key);
    this.evictedTorrents++;
  }

  private evict(peer: PeerEntry): void {
    this.removePeer(peer);
    this.evictedPeers++;
  }

  /** A torrent left without peers stays until the sweep, so its `downloaded` count outlives a quiet moment. */
  private removePeer(peer: PeerEntry): void {
    this.unlist(peer);
    peer.swarm.byKey.delete(peer.key);
    this.order.delete(peer);
  }

  private list(peer: PeerEntry): void {
    const list = peer.seeder ? peer.swarm.seeders : peer.swarm.leechers;
    peer.index = list.length;
    list.push(peer);
    if (peer.seeder) this.seederCount++;
  }

  private unlist(peer: PeerEntry): void {
    const list = peer.seeder ? peer.swarm.seeders : peer.swarm.leechers;
    const last = list.pop()!;
    if (last !== peer) {
      list[peer.index] = last;
      last.index = peer.index;
    }
    peer.index = -1;
    if (peer.seeder) this.seederCount--;
  }
}

/**
 * Up to `want` peers for `self`, from a random starting point: never `self` nor another address of
 * the same peer id, never an unconnectable one (port 0), no seeders for a seeder (they have nothing
 * to trade), and only `onlyFamily` when the reply format holds one family.
 */
function pickPeers(swarm: Swarm, self: PeerEntry, want: number, onlyFamily: IpFamily | undefined, rng: () => number): SwarmPeer[] {
  const first = self.seeder ? [] : swarm.seeders;
  const second = swarm.leechers;
  const total = first.length + second.length;
  const picked: SwarmPeer[] = [];
  if (want <= 0 || total === 0) return picked;
  const start = Math.min(total - 1, Math.floor(rng() * total));
  for (let n = 0; n < total && picked.length < want; n++) {
    const i = (start + n) % total;
    const peer = i < first.length ? first[i]! : second[i - first.length]!;
    if (peer === self || peer.port === 0 || peer.peerId === self.peerId) continue;
    if (onlyFamily !== undefined && peer.family !== onlyFamily) continue;
    picked.push(peer);
  }
  return picked;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
