import { performance } from 'node:perf_hooks';
import type { Hasher } from '../env/hasher.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import { seededRng } from '../env/rng.js';
import { BLOCK_SIZE, generatePeerId } from '../protocol/wire/index.js';
import { Session, type SessionOptions, type TorrentHandle, type TorrentSessionEvent } from '../session.js';
import { MEMORY_DISK_BLOCK, MemoryDisk, MemoryStorage } from '../storage/memory-storage.js';
import type { StorageFactory } from '../storage/storage.js';
import { startServingPeer } from './fake-peer.js';
import { type IdleFlood, startIdleFlood } from './idle-flood.js';
import { payloadHasher } from './payload-hasher.js';
import { PayloadStorage } from './payload-storage.js';
import { type SimPayload, firstDifference, makePayload, randomBytesFrom } from './payload.js';
import { runSimulation } from './scheduler.js';
import type { CorruptPeerSpec, IdleFloodSpec, ScenarioSpec, SimPeerSpec } from './scenario.js';
import { SimClock } from './sim-clock.js';
import { type SimHost, SimNetwork } from './sim-network.js';
import { SimTrackers } from './sim-tracker.js';
import { LsdLan } from './lsd-lan.js';
import { type RunningTracker, startTracker } from '../tracker-server.js';
import { allBits } from '../util/bits.js';
import { messageOf } from '../util/message-of.js';

/**
 * Runs a scenario: one SimClock, one SimNetwork, one real Session per simulated peer (the production
 * actors, unchanged) on its own host (10.0.0.N), with a simulated disk (PayloadStorage, or
 * MemoryStorage), a seeded rng and a peer id drawn from the scenario's seed. Peers join and leave at
 * their scripted times and find each other either through `addPeers` (the peers present when they
 * join) or through actorrent's tracker on the simulated network. Scripted fake peers (corrupting
 * seeders) join them. Everything is timed by the sim clock: the same spec gives the same run.
 */

/** What can watch the simulated sessions (the `--trace` recorder, tests): same shape as the CLI's Observers. */
export interface SwarmObserver {
  sessionOptions?(label: string): Pick<SessionOptions, 'inspect' | 'wireTap'>;
  torrentAdded?(label: string, session: Session, handle: TorrentHandle): void;
}

export interface SimPeer {
  spec: SimPeerSpec;
  address: string;
  port: number;
  host: SimHost;
  peerId: Buffer;
  session?: Session;
  torrent?: TorrentHandle;
  /** The peer's disk: the shared payload plus what it wrote (default), or a MemoryStorage's disk (`storage: 'memory'`). */
  storage?: PayloadStorage;
  disk?: MemoryDisk;
  joinedAt?: number;
  /** A magnet leecher: when its metadata verified. */
  metadataAt?: number;
  completedAt?: number;
  leftAt?: number;
  /** Why the peer could not join (its session failed to start). */
  error?: string;
  events: TorrentSessionEvent[];
}

export interface PeerResult {
  name: string;
  role: 'seeder' | 'leecher';
  address: string;
  peerId: string;
  joinedAt?: number;
  /** A magnet leecher: when its metadata verified. */
  metadataAt?: number;
  completedAt?: number;
  leftAt?: number;
  /** Payload bytes received and sent (this session). */
  downloaded: number;
  uploaded: number;
  /** Payload bytes sent to each other peer, by name (unknown peer ids by hex). */
  uploadedTo: Record<string, number>;
  /** Holds exactly the payload (checked in place against it); undefined for peers that left. */
  exact?: boolean;
  /** Why it could not join, if it could not. */
  error?: string;
  /** Peers banned by this one (peer-banned events), by name. */
  banned: string[];
  piecesFailed: number;
}

export interface SimResult {
  scenario: string;
  seed: number;
  /** Simulated ms when the run stopped. */
  simulatedMs: number;
  realMs: number;
  steps: number;
  outcome: 'complete' | 'deadline' | 'idle' | 'max-steps' | 'condition';
  payloadSha256: string;
  peers: PeerResult[];
  corruptPeers: { name: string; address: string; served: number; corrupted: number }[];
}

export interface RunScenarioOptions {
  /** The simulation's clock (default a new one at 0): give it to observers that need the time, e.g. a trace recorder. */
  clock?: SimClock;
  observer?: SwarmObserver;
  /** Called once the swarm is built, before time starts (tests hook events here). */
  onStart?: (swarm: Swarm) => void;
  /** Stop when this holds instead of when every present leecher is complete. */
  until?: (swarm: Swarm) => boolean;
}

/** A tracker transport that is never used: simulated torrents get their peers from `addPeers`. */
const noTrackers: TrackerTransport = {
  httpGet: () => Promise.reject(new Error('no trackers in the simulation')),
  udpRequest: () => Promise.reject(new Error('no trackers in the simulation')),
};

/** Where the simulated tracker listens when a scenario has one. */
export const SIM_TRACKER = { address: '10.8.0.1', port: 6969 };

export class Swarm {
  readonly clock: SimClock;
  readonly network: SimNetwork;
  readonly trackers: SimTrackers;
  /** The LAN's LSD multicast (scenarios with `lsd`): every host hears every announce. */
  readonly lan: LsdLan;
  tracker?: RunningTracker;
  readonly payload: SimPayload;
  readonly peers: SimPeer[] = [];
  readonly corruptPeers: (CorruptPeerSpec & { address: string; stats?: { served: number; corrupted: number }; peerId: Buffer })[] = [];
  readonly idleFloods: (IdleFloodSpec & { address: string; flood?: IdleFlood })[] = [];
  private readonly idRng;
  private readonly hasher: Hasher;

  constructor(
    readonly spec: ScenarioSpec,
    private readonly options: RunScenarioOptions = {},
  ) {
    this.clock = options.clock ?? new SimClock();
    this.network = new SimNetwork({ clock: this.clock, rng: seededRng(spec.seed ^ 0x1f123bb5), defaultLink: spec.link });
    this.trackers = new SimTrackers(this.network);
    this.lan = new LsdLan(this.clock, { latencyMs: spec.link.latencyMs });
    const { address, port } = SIM_TRACKER;
    const announce = spec.tracker ? [spec.tracker.protocol === 'udp' ? `udp://${address}:${port}` : `http://${address}:${port}/announce`] : undefined;
    this.payload = makePayload({ size: spec.size, pieceLength: spec.pieceLength, seed: spec.seed, announce });
    this.hasher = payloadHasher(this.payload);
    this.idRng = seededRng(spec.seed ^ 0x2545f491);
    let n = 1;
    for (const peerSpec of spec.peers) {
      const address = peerSpec.address ?? `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      n++;
      const host = this.network.host(address, { upload: peerSpec.upload, download: peerSpec.download });
      this.peers.push({ spec: peerSpec, address, port: 6881, host, peerId: this.newPeerId(), events: [] });
    }
    for (const corrupt of spec.corruptPeers ?? []) {
      const address = `10.9.0.${this.corruptPeers.length + 1}`;
      this.network.host(address, { upload: corrupt.upload });
      this.corruptPeers.push({ ...corrupt, address, peerId: this.newPeerId() });
    }
    for (const flood of spec.idleFloods ?? []) {
      const address = `10.7.0.${this.idleFloods.length + 1}`;
      this.network.host(address);
      this.idleFloods.push({ ...flood, address });
    }
    for (const peer of this.peers) {
      for (const other of [...this.peers.map((p) => p.address), ...this.corruptPeers.map((p) => p.address)]) {
        const profile = this.spec.links?.find((l) => matches(l.between, peer.spec.name, other, this));
        if (profile) this.network.setLink(peer.address, other, profile.profile);
      }
    }
  }

  private newPeerId(): Buffer {
    return generatePeerId((n) => randomBytesFrom(this.idRng, n));
  }

  byName(name: string): SimPeer | undefined {
    return this.peers.find((p) => p.spec.name === name);
  }

  nameOf(peerIdHex: string): string {
    return (
      this.peers.find((p) => p.peerId.toString('hex') === peerIdHex)?.spec.name ??
      this.corruptPeers.find((p) => p.peerId.toString('hex') === peerIdHex)?.name ??
      peerIdHex
    );
  }

  nameOfAddress(address: string): string {
    const ip = address.replace(/:\d+$/, '');
    return this.peers.find((p) => p.address === ip)?.spec.name ?? this.corruptPeers.find((p) => p.address === ip)?.name ?? address;
  }

  /** Every leecher has joined, and each one still present (not left) has completed. */
  everyPresentLeecherComplete(): boolean {
    const present = this.peers.filter((p) => p.spec.role === 'leecher' && p.leftAt === undefined);
    const lastJoin = Math.max(0, ...this.peers.map((p) => p.spec.joinAtMs ?? 0));
    return this.clock.now() >= lastJoin && present.every((p) => p.completedAt !== undefined);
  }

  async run(): Promise<SimResult> {
    const started = performance.now();
    if (this.spec.tracker) {
      this.network.host(SIM_TRACKER.address);
      this.tracker = await startTracker({
        host: SIM_TRACKER.address,
        port: SIM_TRACKER.port,
        clock: this.clock,
        transport: this.trackers.serverTransport,
        http: this.spec.tracker.protocol === 'http',
        udp: this.spec.tracker.protocol === 'udp',
        config: this.spec.tracker.intervalS ? { interval: this.spec.tracker.intervalS } : undefined,
        secret: Buffer.alloc(32, this.spec.seed & 0xff),
        rng: seededRng(this.spec.seed ^ 0x7ac4e1),
        inspect: this.options.observer?.sessionOptions?.('tracker').inspect,
      });
    }
    for (const corrupt of this.corruptPeers) {
      const fake = await startServingPeer({
        host: this.network.getHost(corrupt.address)!,
        port: 6881,
        infoHash: this.payload.meta.infoHash,
        peerId: corrupt.peerId,
        pieceCount: this.payload.meta.pieceCount,
        pieceLength: this.payload.meta.pieceLength,
        payload: this.payload.bytes,
        corrupt: (index, begin) => corrupt.corruptBlock(index, begin / BLOCK_SIZE),
      });
      corrupt.stats = fake;
    }
    for (const flood of this.idleFloods) {
      const target = this.byName(flood.target);
      if (!target) throw new Error(`idle flood ${flood.name}: no peer named ${flood.target}`);
      this.clock.setTimeout(() => {
        flood.flood = startIdleFlood({
          host: this.network.getHost(flood.address)!,
          clock: this.clock,
          target: { address: target.address, port: target.port },
          connections: flood.connections,
          reopenAfterMs: flood.reopenAfterMs ?? 1000,
        });
      }, flood.startAtMs ?? 0);
    }
    for (const peer of this.peers) {
      this.clock.setTimeout(() => {
        this.join(peer).catch((err: unknown) => (peer.error = messageOf(err)));
      }, peer.spec.joinAtMs ?? 0);
      if (peer.spec.leaveAtMs !== undefined) this.clock.setTimeout(() => this.leave(peer), peer.spec.leaveAtMs);
    }
    this.options.onStart?.(this);
    const until = this.options.until ?? ((swarm: Swarm) => swarm.everyPresentLeecherComplete());
    const outcome = await runSimulation(this.clock, { until: () => until(this), deadline: this.spec.deadlineMs });
    const simulatedMs = this.clock.now();
    const result: SimResult = {
      scenario: this.spec.name,
      seed: this.spec.seed,
      simulatedMs,
      realMs: 0,
      steps: outcome.steps,
      outcome: outcome.reason === 'condition' && !this.options.until ? 'complete' : outcome.reason,
      payloadSha256: this.payload.sha256,
      peers: this.peers.map((p) => this.resultOf(p)),
      corruptPeers: this.corruptPeers.map((c) => ({ name: c.name, address: c.address, served: c.stats?.served ?? 0, corrupted: c.stats?.corrupted ?? 0 })),
    };
    await this.close();
    result.realMs = Math.round(performance.now() - started);
    return result;
  }

  /** Stops every session, driving the clock while they shut down. */
  async close(): Promise<void> {
    for (const flood of this.idleFloods) flood.flood?.stop();
    const closing = Promise.all(this.peers.map((p) => p.session?.close()));
    let done = false;
    void closing.finally(() => (done = true));
    await runSimulation(this.clock, { until: () => done, deadline: this.clock.now() + 60_000 });
    await closing;
    if (this.tracker) {
      let stopped = false;
      void this.tracker.stop().finally(() => (stopped = true));
      await runSimulation(this.clock, { until: () => stopped, deadline: this.clock.now() + 60_000 });
    }
    for (const corrupt of this.corruptPeers) await (corrupt.stats as { close?: () => Promise<void> } | undefined)?.close?.();
  }

  private async join(peer: SimPeer): Promise<void> {
    const { spec, payload } = this;
    const meta = payload.meta;
    const seeder = peer.spec.role === 'seeder';
    const clock = this.clock;
    const delay = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(() => resolve(), ms));
    let storage: StorageFactory;
    if (spec.storage === 'memory') {
      const disk = (peer.disk = new MemoryDisk(1));
      if (seeder) {
        // A seeder's disk holds views of the shared payload: no copy per seeder (seeders never write).
        for (let at = 0, i = 0; at < payload.bytes.length; at += MEMORY_DISK_BLOCK, i++) disk.blocks.set(i, payload.bytes.subarray(at, at + MEMORY_DISK_BLOCK));
        disk.sizes[0] = payload.bytes.length;
      }
      storage = { open: (m) => new MemoryStorage(m, { latencyMs: peer.spec.diskLatencyMs, delay, now: () => clock.now() }, disk) };
    } else {
      const store = (peer.storage = new PayloadStorage(meta, payload.bytes, { complete: seeder, latencyMs: peer.spec.diskLatencyMs, delay }));
      storage = { open: () => store };
    }
    const label = peer.spec.name;
    const session = new Session({
      host: peer.address,
      port: peer.port,
      transport: peer.host,
      trackerTransport: this.spec.tracker ? this.trackers.clientTransport(peer.address) : noTrackers,
      clock,
      storage,
      rng: seededRng((spec.seed * 7919 + this.peers.indexOf(peer) + 1) >>> 0),
      peerId: peer.peerId,
      // Hashing on the calling thread: a worker's answer would come in real time, not simulated time.
      // Pieces made of views of the payload are known good without hashing them (see payload-hasher.ts).
      hasher: this.hasher,
      lsd: spec.lsd === true,
      lsdSocket: this.lan.factory(peer.address),
      // MSE keys come from the session's seeded rng: encrypted runs stay reproducible.
      encryption: peer.spec.encryption ?? spec.encryption,
      ...this.options.observer?.sessionOptions?.(label),
    });
    peer.session = session;
    peer.joinedAt = clock.now();
    await session.listen();
    if (peer.leftAt !== undefined) return;
    const others = peer.spec.dial === 'nobody' ? [] : [
      ...this.peers.filter((p) => p !== peer && p.session && p.leftAt === undefined && p.joinedAt !== undefined && (peer.spec.dial !== 'seeders' || p.spec.role === 'seeder')),
      ...(peer.spec.dial === 'seeders' ? [] : this.corruptPeers),
    ].map((p) => ({ host: p.address, port: 6881 }));
    // Peers (and trackers) of a magnet link serve the metadata first; the torrent then redials them.
    let fetchedPeers: { host: string; port: number }[] = [];
    if (spec.magnet && !seeder) {
      const fetch = session.fetchMetadata(meta.infoHash, { peers: this.spec.tracker ? [] : others, trackers: meta.announce.flat() });
      const fetched = await fetch.whenFetched().catch(() => undefined);
      if (!fetched || peer.leftAt !== undefined) return;
      peer.metadataAt = clock.now();
      fetchedPeers = fetched.peers;
    }
    const torrent = session.add(meta, {
      downloadDir: `/sim/${peer.spec.name}`,
      seed: true,
      trustedHave: seeder ? allBits(meta.pieceCount) : undefined,
      // With a tracker, peers find each other only through it.
      peers: this.spec.tracker ? [] : others,
      noTrackers: !this.spec.tracker,
      uploadLimit: peer.spec.uploadLimit,
      downloadLimit: peer.spec.downloadLimit,
      maxPeers: peer.spec.maxPeers,
      pex: spec.pex,
    });
    peer.torrent = torrent;
    if (fetchedPeers.length > 0) torrent.addPeers(fetchedPeers, 'magnet');
    torrent.events$.subscribe((event) => {
      peer.events.push(event);
      if (event.type === 'complete' && peer.completedAt === undefined && !seeder) peer.completedAt = clock.now();
    });
    this.options.observer?.torrentAdded?.(label, session, torrent);
  }

  private leave(peer: SimPeer): void {
    if (peer.leftAt !== undefined) return;
    peer.leftAt = this.clock.now();
    // Abrupt: the host drops off the network (others see their connections reset), then the session stops.
    peer.host.goOffline();
    void peer.session?.close();
  }

  private resultOf(peer: SimPeer): PeerResult {
    const progress = peer.torrent?.progress();
    const uploadedTo: Record<string, number> = {};
    for (const [id, bytes] of peer.torrent?.uploadedByPeer() ?? []) uploadedTo[this.nameOf(id)] = bytes;
    const banned = [...new Set(peer.events.flatMap((e) => (e.type === 'peer-banned' ? [this.nameOfAddress(e.address)] : [])))];
    return {
      name: peer.spec.name,
      role: peer.spec.role,
      address: peer.address,
      peerId: peer.peerId.toString('hex'),
      joinedAt: peer.joinedAt,
      metadataAt: peer.metadataAt,
      completedAt: peer.completedAt,
      leftAt: peer.leftAt,
      downloaded: progress?.downloaded ?? 0,
      uploaded: progress?.uploaded ?? 0,
      uploadedTo,
      exact: peer.leftAt !== undefined || peer.joinedAt === undefined ? undefined : (peer.storage ? peer.storage.firstDifference() : firstDifference(peer.disk, this.payload.bytes)) === -1,
      error: peer.error,
      banned,
      piecesFailed: peer.events.filter((e) => e.type === 'piece-failed').length,
    };
  }
}

function matches(between: [string, string], name: string, otherAddress: string, swarm: Swarm): boolean {
  const other = swarm.nameOfAddress(otherAddress);
  return (between[0] === name && (between[1] === other || between[1] === '*')) || (between[1] === name && (between[0] === other || between[0] === '*'));
}

/** Builds and runs a scenario; resolves with its result once every session is closed. */
export async function runScenario(spec: ScenarioSpec, options: RunScenarioOptions = {}): Promise<SimResult> {
  return new Swarm(spec, options).run();
}
