import { formatIPv4, formatIPv6 } from '../protocol/tracker/index.js';
import type { AnnounceEvent, ScrapeStats } from '../protocol/tracker/index.js';
import type { IpFamily } from './client-address.js';
import { GONE, NO_MORE, PeerIndex, finishHash, mixHash } from './peer-index.js';
import { COMPACT4, COMPACT6, IPV6, type ListEnds, NONE, PeerTable, SEEDER, UNCONNECTABLE } from './peer-table.js';

/*
 * The tracker's memory: torrents → peers. Pure: no sockets, no timers; time and randomness come in as
 * arguments. Every structure is bounded by a cap, and what goes past a cap evicts the least recently
 * seen entry, so a flood of made-up infohashes or peers costs CPU, never unbounded memory.
 *
 * Peers live in a PeerTable (columns, one slot per peer, stored as their compact entry), found by a
 * PeerIndex (torrent, address, port → slot); a torrent holds its seeders and leechers as two arrays
 * of slots (random picks need indexable lists; removal swaps in the last element). Orders by last
 * announce are linked lists, so an announce moves entries without allocating:
 *   - torrents, oldest first (the torrent cap and the sweep take from the front);
 *   - every peer, and each torrent's peers (the peer caps and the expiry sweep).
 *
 * An announce answers with a reusable outcome: counts, and the listed peers as slots, which
 * writeCompactPeers copies into a reply (or listedPeers describes) until the next announce.
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

/** One announce, after the transport has decided the peer's address. Read during the call only. */
export interface PeerAnnounce {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** The peer's IP: 4 bytes (IPv4) or 16 (IPv6). */
  address: Uint8Array;
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

/** A listed peer, described (for dictionary-form replies, tests and inspection). */
export interface SwarmPeer {
  readonly host: string;
  readonly port: number;
  readonly family: IpFamily;
  /** Latin1 text, one char per byte. */
  readonly peerId: string;
}

/** The registry's answer to the last announce; overwritten by the next one. */
export interface AnnounceOutcome extends ScrapeStats {
  /** How many peers were listed. */
  listed: number;
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

interface Swarm extends ListEnds {
  readonly key: string;
  /** For the peer index's hash. */
  readonly id: number;
  /** Its place in `swarms`, the owner number of its peers' slots; reused once it is dropped (and so has no peer). */
  readonly number: number;
  readonly seeders: number[];
  readonly leechers: number[];
  downloaded: number;
  lastActivity: number;
  older: Swarm | undefined;
  newer: Swarm | undefined;
}

export class SwarmRegistry {
  private readonly torrents = new Map<string, Swarm>();
  private oldestSwarm: Swarm | undefined;
  private newestSwarm: Swarm | undefined;
  private readonly peers: PeerTable;
  /** Every torrent by its number (bounded by maxTorrents: the numbers of dropped torrents are reused, from `freeNumbers`). */
  private readonly swarms: (Swarm | undefined)[] = [];
  private readonly freeNumbers: number[] = [];
  private readonly index: PeerIndex;
  private nextSwarmId = 0;
  private readonly outcome: AnnounceOutcome = { complete: 0, incomplete: 0, downloaded: 0, listed: 0 };
  private readonly picked: Int32Array;
  private seederCount = 0;
  private evictedTorrents = 0;
  private evictedPeers = 0;
  private expiredPeers = 0;

  /** `seed` keys the peer index's hash: unknown to clients, so that none can aim keys at one bucket. */
  constructor(
    readonly limits: RegistryLimits,
    seed: number,
  ) {
    this.peers = new PeerTable(limits.maxPeers);
    this.index = new PeerIndex(seed);
    this.picked = new Int32Array(limits.maxNumwant);
  }

  /** Records the announce and picks peers for the reply. The outcome is valid until the next call. */
  announce(request: PeerAnnounce, now: number, rng: () => number): AnnounceOutcome {
    const table = this.peers;
    const hashKey = latin1(request.infoHash);
    let swarm = this.torrents.get(hashKey);
    let self = swarm ? this.findPeer(swarm, request) : NONE;
    // A download is counted once: when a peer we knew as a leecher reports left=0, whatever the event
    // (aria2 sends `stopped`, not `completed`, when it quits on finishing), or on `completed` from a
    // peer we did not know (one that finished while the tracker was restarting, say).
    const seeder = request.left === 0;
    const finished = seeder && (self !== NONE ? !(table.flags[self]! & SEEDER) : request.event === 'completed');

    if (request.event === 'stopped') {
      if (self !== NONE) {
        if (finished) swarm!.downloaded++;
        this.removePeer(self);
      }
      return this.answer(swarm, 0);
    }

    if (swarm) {
      this.unlinkSwarm(swarm);
    } else {
      if (this.torrents.size >= this.limits.maxTorrents) this.evictOldestTorrent();
      const number = this.freeNumbers.pop() ?? this.swarms.length;
      swarm = { key: hashKey, id: this.nextSwarmId++ | 0, number, seeders: [], leechers: [], downloaded: 0, lastActivity: now, oldest: NONE, newest: NONE, older: undefined, newer: undefined };
      this.torrents.set(hashKey, swarm);
      this.swarms[number] = swarm;
    }
    this.appendSwarm(swarm);
    swarm.lastActivity = now;
    if (finished) swarm.downloaded++;

    if (self !== NONE) {
      if (!table.hasPeerId(self, request.peerId)) table.storePeerId(self, request.peerId);
      if (Boolean(table.flags[self]! & SEEDER) !== seeder) {
        this.unlist(self);
        table.flags[self]! ^= SEEDER;
        this.list(self);
      }
      table.touch(self, swarm);
    } else {
      if (peerCount(swarm) >= this.limits.maxPeersPerTorrent) this.evict(swarm.oldest);
      if (table.size >= this.limits.maxPeers) this.evict(table.all.oldest);
      self = table.allocate(swarm.number, swarm);
      table.flags[self] = (seeder ? SEEDER : 0) | (request.port === 0 ? UNCONNECTABLE : 0);
      table.writeAddress(self, request.address, request.port);
      table.storePeerId(self, request.peerId);
      this.index.insert(self, this.hashOf(self), this.indexEverySlot);
      this.list(self);
    }
    table.lastSeen[self] = now;

    const want = Math.min(request.numwant ?? this.limits.defaultNumwant, request.maxPeers ?? Infinity, this.limits.maxNumwant);
    const onlyFlags = request.onlyFamily === undefined ? -1 : request.onlyFamily === 'ipv6' ? IPV6 : 0;
    return this.answer(swarm, this.pickPeers(swarm, self, want, onlyFlags, rng));
  }

  /**
   * Copies the compact entries (BEP 23: 6 bytes for IPv4, 18 for IPv6) of the peers of `family` the
   * last announce listed into `out` at `offset`; returns the bytes written. `out` must have room for
   * `outcome.listed` entries of that family.
   */
  writeCompactPeers(out: Uint8Array, offset: number, family: IpFamily): number {
    const table = this.peers;
    const v6 = family === 'ipv6';
    const width = v6 ? COMPACT6 : COMPACT4;
    const compact = v6 ? table.compact6 : table.compact4;
    let at = offset;
    for (let i = 0; i < this.outcome.listed; i++) {
      const slot = this.picked[i]!;
      if (Boolean(table.flags[slot]! & IPV6) !== v6) continue;
      const from = slot * width;
      for (let b = 0; b < width; b++) out[at + b] = compact![from + b]!;
      at += width;
    }
    return at - offset;
  }

  /** How many of the last announce's listed peers are of `family`. */
  listedOf(family: IpFamily): number {
    let n = 0;
    const v6 = family === 'ipv6';
    for (let i = 0; i < this.outcome.listed; i++) if (Boolean(this.peers.flags[this.picked[i]!]! & IPV6) === v6) n++;
    return n;
  }

  /** The peers the last announce listed, described. */
  listedPeers(): SwarmPeer[] {
    return Array.from(this.picked.subarray(0, this.outcome.listed), (slot) => this.describe(slot));
  }

  scrape(infoHash: Uint8Array): ScrapeStats {
    const swarm = this.torrents.get(latin1(infoHash));
    return { complete: swarm?.seeders.length ?? 0, incomplete: swarm?.leechers.length ?? 0, downloaded: swarm?.downloaded ?? 0 };
  }

  /** Drops peers silent for peerTtlMs, then torrents with no peer and no announce for as long. */
  sweep(now: number): { expiredPeers: number; droppedTorrents: number } {
    const cutoff = now - this.limits.peerTtlMs;
    const table = this.peers;
    let expiredPeers = 0;
    for (let slot = table.all.oldest; slot !== NONE && table.lastSeen[slot]! <= cutoff; slot = table.all.oldest) {
      this.removePeer(slot);
      expiredPeers++;
    }
    this.expiredPeers += expiredPeers;
    let droppedTorrents = 0;
    for (let swarm = this.oldestSwarm; swarm && swarm.lastActivity <= cutoff; ) {
      const next = swarm.newer;
      // Every peer of a torrent this quiet has expired above; the check guards against a clock that stepped back.
      if (peerCount(swarm) === 0) {
        this.dropSwarm(swarm);
        droppedTorrents++;
      }
      swarm = next;
    }
    return { expiredPeers, droppedTorrents };
  }

  stats(): RegistryStats {
    const peers = this.peers.size;
    return {
      torrents: this.torrents.size,
      peers,
      seeders: this.seederCount,
      leechers: peers - this.seederCount,
      evictedTorrents: this.evictedTorrents,
      evictedPeers: this.evictedPeers,
      expiredPeers: this.expiredPeers,
    };
  }

  /** The peers of one torrent, least recently seen first (for tests and inspection). */
  peersOf(infoHash: Uint8Array): SwarmPeer[] {
    const swarm = this.torrents.get(latin1(infoHash));
    const out: SwarmPeer[] = [];
    for (let slot = swarm?.oldest ?? NONE; slot !== NONE; slot = this.peers.newerInOwner(slot)) out.push(this.describe(slot));
    return out;
  }

  private answer(swarm: Swarm | undefined, listed: number): AnnounceOutcome {
    const o = this.outcome;
    o.complete = swarm?.seeders.length ?? 0;
    o.incomplete = swarm?.leechers.length ?? 0;
    o.downloaded = swarm?.downloaded ?? 0;
    o.listed = listed;
    return o;
  }

  /**
   * Up to `want` peers for `self` into `picked`, from a random starting point: never `self` nor
   * another address of the same peer id, never an unconnectable one, no seeders for a seeder (they
   * have nothing to trade), and only one family when `onlyFlags` (0 or IPV6) says so.
   */
  private pickPeers(swarm: Swarm, self: number, want: number, onlyFlags: number, rng: () => number): number {
    const flags = this.peers.flags;
    const first = flags[self]! & SEEDER ? EMPTY : swarm.seeders;
    const second = swarm.leechers;
    const total = first.length + second.length;
    if (want <= 0 || total === 0) return 0;
    const start = Math.min(total - 1, Math.floor(rng() * total));
    let count = 0;
    for (let n = 0; n < total && count < want; n++) {
      let i = start + n;
      if (i >= total) i -= total;
      const peer = i < first.length ? first[i]! : second[i - first.length]!;
      const f = flags[peer]!;
      if (peer === self || f & UNCONNECTABLE) continue;
      if (onlyFlags !== -1 && (f & IPV6) !== onlyFlags) continue;
      if (this.peers.samePeerId(peer, self)) continue;
      this.picked[count++] = peer;
    }
    return count;
  }

  private describe(slot: number): SwarmPeer {
    const table = this.peers;
    const v6 = (table.flags[slot]! & IPV6) !== 0;
    const { bytes, at } = table.compactOf(slot);
    return {
      host: v6 ? formatIPv6(bytes, at) : formatIPv4(bytes, at),
      port: table.portOf(slot),
      family: v6 ? 'ipv6' : 'ipv4',
      peerId: table.peerIdOf(slot).toString('latin1'),
    };
  }

  private evictOldestTorrent(): void {
    const oldest = this.oldestSwarm;
    if (!oldest) return;
    while (oldest.oldest !== NONE) {
      this.removePeer(oldest.oldest);
      this.evictedPeers++;
    }
    this.dropSwarm(oldest);
    this.evictedTorrents++;
  }

  private dropSwarm(swarm: Swarm): void {
    this.unlinkSwarm(swarm);
    this.torrents.delete(swarm.key);
    this.swarms[swarm.number] = undefined;
    this.freeNumbers.push(swarm.number);
  }

  private ownerOf(slot: number): Swarm {
    return this.swarms[this.peers.ownerOf[slot]!]!;
  }

  private evict(slot: number): void {
    this.removePeer(slot);
    this.evictedPeers++;
  }

  /** A torrent left without peers stays until the sweep, so its `downloaded` count outlives a quiet moment. */
  private removePeer(slot: number): void {
    const table = this.peers;
    const swarm = this.ownerOf(slot);
    this.unlist(slot);
    this.index.remove(slot, this.hashOf(slot));
    table.release(slot, swarm);
  }

  /** The slot of this announce's peer in `swarm`, or NONE. */
  private findPeer(swarm: Swarm, request: PeerAnnounce): number {
    const table = this.peers;
    const index = this.index;
    const { address, port, peerId } = request;
    const hash = this.hashOfKey(swarm.id, address, 0, port, port === 0 ? peerId : undefined);
    for (let b = index.start(hash); ; b = index.next(b)) {
      const slot = index.entry(b);
      if (slot === NO_MORE) return NONE;
      if (slot === GONE || table.ownerOf[slot] !== swarm.number || !table.hasAddress(slot, address, port)) continue;
      if (port !== 0 || table.hasPeerId(slot, peerId)) return slot;
    }
  }

  /**
   * The index key: torrent, address and port (BEP 7: one entry per address a peer announces from);
   * for an unconnectable peer (port 0) the peer id too, to tell apart several behind one address.
   */
  private hashOf(slot: number): number {
    const table = this.peers;
    const { bytes, at, length } = table.compactOf(slot);
    const port = table.portOf(slot);
    const address = bytes.subarray(at, at + length - 2);
    return this.hashOfKey(this.ownerOf(slot).id, address, 0, port, port === 0 ? table.peerIds.subarray(slot * 20, slot * 20 + 20) : undefined);
  }

  private hashOfKey(swarmId: number, address: Uint8Array, from: number, port: number, peerId: Uint8Array | undefined): number {
    let h = mixHash(this.index.seed, swarmId);
    for (let i = from; i < from + address.length; i += 4) h = mixHash(h, (address[i]! << 24) | (address[i + 1]! << 16) | (address[i + 2]! << 8) | address[i + 3]!);
    h = mixHash(h, port);
    if (peerId) for (let i = 0; i < 20; i += 4) h = mixHash(h, (peerId[i]! << 24) | (peerId[i + 1]! << 16) | (peerId[i + 2]! << 8) | peerId[i + 3]!);
    return finishHash(h);
  }

  /** Puts every peer but `adding` back into the index (it grew). */
  private readonly indexEverySlot = (add: (slot: number, hash: number) => void, adding: number): void => {
    const table = this.peers;
    for (let slot = table.all.oldest; slot !== NONE; slot = table.newerOf(slot)) if (slot !== adding) add(slot, this.hashOf(slot));
  };

  private list(slot: number): void {
    const table = this.peers;
    const swarm = this.ownerOf(slot);
    const seeder = (table.flags[slot]! & SEEDER) !== 0;
    const list = seeder ? swarm.seeders : swarm.leechers;
    table.listIndex[slot] = list.length;
    list.push(slot);
    if (seeder) this.seederCount++;
  }

  private unlist(slot: number): void {
    const table = this.peers;
    const swarm = this.ownerOf(slot);
    const seeder = (table.flags[slot]! & SEEDER) !== 0;
    const list = seeder ? swarm.seeders : swarm.leechers;
    const last = list.pop()!;
    if (last !== slot) {
      const index = table.listIndex[slot]!;
      list[index] = last;
      table.listIndex[last] = index;
    }
    if (seeder) this.seederCount--;
  }

  private appendSwarm(swarm: Swarm): void {
    swarm.older = this.newestSwarm;
    swarm.newer = undefined;
    if (this.newestSwarm) this.newestSwarm.newer = swarm;
    else this.oldestSwarm = swarm;
    this.newestSwarm = swarm;
  }

  private unlinkSwarm(swarm: Swarm): void {
    if (swarm.older) swarm.older.newer = swarm.newer;
    else this.oldestSwarm = swarm.newer;
    if (swarm.newer) swarm.newer.older = swarm.older;
    else this.newestSwarm = swarm.older;
    swarm.older = swarm.newer = undefined;
  }
}

const EMPTY: readonly number[] = [];

function peerCount(swarm: Swarm): number {
  return swarm.seeders.length + swarm.leechers.length;
}

function latin1(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1');
}
