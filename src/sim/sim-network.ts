import type { Rng } from '../env/rng.js';
import type { Listener, PeerSocket, Transport } from '../env/transport.js';
import type { SimClock } from './sim-clock.js';
import { type SimRoute, SimSocket } from './sim-socket.js';

/**
 * A simulated network of hosts with virtual addresses (10.0.0.N). Each host is a Transport (listen,
 * connect) whose connections are SimSockets: the real encoded bytes travel them, timed on the sim clock.
 *
 * Model, per direction of a connection:
 * - the sender's uplink (`upload` bytes/s, shared by all its connections, first come first served),
 *   then the link's own `bandwidth`, then the receiver's downlink (`download` bytes/s) serialise it;
 * - it arrives `latencyMs` after it has left; bytes never overtake earlier bytes (one ordered stream);
 * - loss: a TCP stream loses no bytes, it retransmits. Each chunk is lost with probability `loss`
 *   (drawn from the network's seeded rng) and then arrives `retransmitMs` later (per loss, repeated
 *   draws), delaying everything behind it (head-of-line blocking). A dropped connection is a
 *   separate event: `cut` (reset both ends) or a host going `offline`.
 * - events happen on whole milliseconds: a chunk's departure and arrival are rounded up to the next
 *   one (the pacing itself is exact), so many connections' chunks share an instant;
 * - connect: refused after one round trip when nothing listens at the address; times out (on the
 *   sim clock, after the caller's timeoutMs) when the host is unknown or offline.
 */

export interface LinkProfile {
  /** One-way delay, ms. */
  latencyMs: number;
  /** Bytes/s this link carries on its own (besides the hosts' up/down limits); undefined = unlimited. */
  bandwidth?: number;
  /** Probability in [0, 1) that a chunk needs a retransmission. */
  loss?: number;
  /** Extra delay of one retransmission, ms. Default 200 (TCP's minimum RTO). */
  retransmitMs?: number;
  /**
   * Datagrams only (SimUdp): the bottleneck's buffer, bytes per direction. With `bandwidth`, a
   * datagram that finds this much queued ahead of it is dropped (drop-tail). Default unlimited.
   */
  queueBytes?: number;
  /** Datagrams only: each one gets up to this much extra delay at random, so later ones may overtake (reordering). */
  jitterMs?: number;
}

export interface HostOptions {
  /** Uplink, bytes/s, shared by every connection of the host; undefined = unlimited. */
  upload?: number;
  /** Downlink, bytes/s; undefined = unlimited. */
  download?: number;
}

export interface SimNetworkOptions {
  clock: SimClock;
  /** Seeded: loss draws. */
  rng: Rng;
  /** The profile of links without their own (`setLink`). Default 20 ms, unlimited, no loss. */
  defaultLink?: LinkProfile;
  /** A connection's send buffer (the stream's high-water mark). Default 256 KiB. */
  sendBufferBytes?: number;
}

interface Uplink {
  freeAt: number;
}

export class SimHost implements Transport {
  online = true;
  readonly listeners = new Map<number, (socket: PeerSocket) => void>();
  readonly sockets = new Set<SimSocket>();
  readonly up: Uplink = { freeAt: 0 };
  readonly down: Uplink = { freeAt: 0 };
  bytesSent = 0;
  bytesReceived = 0;
  private nextPort = 40_000;

  constructor(
    private readonly network: SimNetwork,
    readonly address: string,
    readonly options: HostOptions,
  ) {}

  ephemeralPort(): number {
    return this.nextPort++;
  }

  async listen(options: { host?: string; port: number }, onConnection: (socket: PeerSocket) => void): Promise<Listener> {
    const port = options.port === 0 ? this.ephemeralPort() : options.port;
    if (this.listeners.has(port)) throw new Error(`listen EADDRINUSE: address already in use ${this.address}:${port}`);
    this.listeners.set(port, onConnection);
    return {
      address: this.address,
      port,
      close: async () => {
        if (this.listeners.get(port) === onConnection) this.listeners.delete(port);
      },
    };
  }

  connect(options: { host: string; port: number; localAddress?: string; timeoutMs: number }): Promise<PeerSocket> {
    return this.network.dial(this, options.host, options.port, options.timeoutMs);
  }

  /** Takes the host off the network: every connection is reset (the other ends hear it one latency later), dials to it time out. */
  goOffline(): void {
    this.online = false;
    for (const socket of [...this.sockets]) socket.destroy();
  }

  goOnline(): void {
    this.online = true;
  }
}

export class SimNetwork {
  readonly clock: SimClock;
  private readonly rng: Rng;
  private readonly hosts = new Map<string, SimHost>();
  private readonly links = new Map<string, LinkProfile>();
  private readonly defaultLink: LinkProfile;
  private readonly sendBufferBytes: number;
  private readonly route: SimRoute;

  constructor(options: SimNetworkOptions) {
    this.clock = options.clock;
    this.rng = options.rng;
    this.defaultLink = options.defaultLink ?? { latencyMs: 20 };
    this.sendBufferBytes = options.sendBufferBytes ?? 256 * 1024;
    this.route = {
      clock: this.clock,
      schedule: (from, bytes) => this.schedule(from, bytes),
      closeArrival: (from) => Math.max(this.clock.now() + this.link(from.localAddress, from.remoteAddress).latencyMs, from.lane.lastArrival),
      forget: (socket) => this.hosts.get(socket.localAddress)?.sockets.delete(socket),
    };
  }

  /** Adds a host (or returns the one at that address). */
  host(address: string, options: HostOptions = {}): SimHost {
    let host = this.hosts.get(address);
    if (!host) this.hosts.set(address, (host = new SimHost(this, address, options)));
    return host;
  }

  getHost(address: string): SimHost | undefined {
    return this.hosts.get(address);
  }

  /** The profile of the link between two hosts, both directions. */
  setLink(a: string, b: string, profile: LinkProfile): void {
    this.links.set(linkKey(a, b), profile);
  }

  link(a: string, b: string): LinkProfile {
    return this.links.get(linkKey(a, b)) ?? this.defaultLink;
  }

  /** Resets every connection between two hosts (both ends hear it one latency later). */
  cut(a: string, b: string): void {
    for (const socket of [...(this.hosts.get(a)?.sockets ?? [])]) if (socket.remoteAddress === b) socket.destroy();
  }

  dial(from: SimHost, address: string, port: number, timeoutMs: number): Promise<PeerSocket> {
    const clock = this.clock;
    const target = this.hosts.get(address);
    const latency = this.link(from.address, address).latencyMs;
    return new Promise((resolve, reject) => {
      if (!from.online) return void clock.setTimeout(() => reject(new Error(`connect ENETUNREACH ${address}:${port}`)), 0);
      if (!target || !target.online) {
        return void clock.setTimeout(() => reject(new Error(`connect to ${address}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
      }
      // The SYN reaches the target after one latency; the answer comes back after another.
      clock.setTimeout(() => {
        const accept = target.online && from.online ? target.listeners.get(port) : undefined;
        if (!accept) {
          clock.setTimeout(() => reject(new Error(`connect ECONNREFUSED ${address}:${port}`)), latency);
          return;
        }
        const localPort = from.ephemeralPort();
        const client = new SimSocket(this.route, from.address, localPort, address, port, this.sendBufferBytes);
        const server = new SimSocket(this.route, address, port, from.address, localPort, this.sendBufferBytes);
        client.peer = server;
        server.peer = client;
        from.sockets.add(client);
        target.sockets.add(server);
        accept(server);
        clock.setTimeout(() => (client.destroyed ? reject(new Error(`connect ECONNRESET ${address}:${port}`)) : resolve(client)), latency);
      }, latency);
    });
  }

  private schedule(from: SimSocket, bytes: number): { sentAt: number; arrivesAt: number } {
    const now = this.clock.now();
    const sender = this.hosts.get(from.localAddress)!;
    const receiver = this.hosts.get(from.remoteAddress);
    const link = this.link(from.localAddress, from.remoteAddress);
    sender.bytesSent += bytes;
    if (receiver) receiver.bytesReceived += bytes;
    // Serialise on the sender's uplink and on the link: the slower one sets the pace.
    // A chunk handed over at the (rounded-up) instant the previous one left follows it back to back.
    const ready = Math.max(sender.up.freeAt, from.lane.freeAt);
    const start = now >= ready && now - ready < 1 ? ready : Math.max(now, ready);
    const sentAt = start + Math.max(transferMs(bytes, sender.options.upload), transferMs(bytes, link.bandwidth));
    sender.up.freeAt = sentAt;
    from.lane.freeAt = sentAt;
    let arrivesAt = sentAt + link.latencyMs;
    const loss = link.loss ?? 0;
    if (loss > 0) while (this.rng() < loss) arrivesAt += link.retransmitMs ?? 200;
    if (receiver?.options.download !== undefined) {
      arrivesAt = Math.max(arrivesAt, receiver.down.freeAt) + transferMs(bytes, receiver.options.download);
      receiver.down.freeAt = arrivesAt;
    }
    // Events land on whole milliseconds (the pacing above stays exact): chunks of many connections
    // then share an instant, and the simulation takes far fewer steps.
    arrivesAt = Math.max(Math.ceil(arrivesAt), from.lane.lastArrival);
    from.lane.lastArrival = arrivesAt;
    return { sentAt: Math.ceil(sentAt), arrivesAt };
  }
}

function transferMs(bytes: number, rate: number | undefined): number {
  return rate === undefined || rate <= 0 ? 0 : (bytes * 1000) / rate;
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
