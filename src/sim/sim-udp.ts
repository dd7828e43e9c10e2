import type { DhtDatagram, DhtSocket, DhtSocketFactory } from '../env/dht-socket.js';
import type { Rng } from '../env/rng.js';
import type { SimNetwork } from './sim-network.js';

/**
 * Datagrams on a SimNetwork, for the DHT and uTP: a socket bound to a host's address and a
 * port; each datagram arrives one link latency later (`network.link`), is lost with the link's
 * `loss` probability (no retransmission: it is UDP), and is dropped when either host is offline
 * or nothing is bound at the destination. A link with `bandwidth` is a bottleneck per direction:
 * datagrams leave one after another at that rate from a drop-tail queue of `queueBytes` (the
 * queuing delay LEDBAT measures); `jitterMs` adds a random delay per datagram (reordering). Every
 * delivery is a timer on the network's SimClock, so runs are deterministic.
 */
export class SimUdp {
  private readonly bound = new Map<string, Set<(datagram: DhtDatagram) => void>>();
  /** Per direction of a bandwidth-limited link: when its bottleneck is free again (ms). */
  private readonly lanes = new Map<string, { freeAt: number }>();
  /** Datagrams dropped by a full bottleneck queue (counted in `lost` too). */
  queueDrops = 0;
  /** Observes every datagram as it enters a bottleneck: `queuedMs` is its wait before leaving. */
  onQueued?: (from: string, to: string, data: Buffer, queuedMs: number) => void;
  /** Datagrams sent and delivered, network-wide. */
  sent = 0;
  delivered = 0;
  lost = 0;

  constructor(
    private readonly network: SimNetwork,
    /** Seeded: loss draws. */
    private readonly rng: Rng,
  ) {}

  /** The socket factory of the host at `address` (created on the network if needed). */
  factory(address: string): DhtSocketFactory {
    return async ({ port }) => this.open(address, port);
  }

  open(address: string, port: number): DhtSocket {
    const host = this.network.host(address);
    let chosen = port;
    if (chosen === 0) {
      do chosen = host.ephemeralPort();
      while (this.bound.has(key(address, chosen)));
    }
    const k = key(address, chosen);
    if (this.bound.has(k)) throw new Error(`bind EADDRINUSE ${address}:${chosen}`);
    const listeners = new Set<(datagram: DhtDatagram) => void>();
    this.bound.set(k, listeners);
    let closed = false;
    return {
      address,
      port: chosen,
      send: (data, toHost, toPort) => {
        if (closed) return;
        this.deliver(address, chosen, Buffer.from(data), toHost, toPort);
      },
      onDatagram: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      onError: () => () => undefined,
      close: async () => {
        closed = true;
        if (this.bound.get(k) === listeners) this.bound.delete(k);
      },
    };
  }

  /** A datagram from anyone (a forged source, a hostile node without a socket) to `toHost:toPort`. */
  inject(fromHost: string, fromPort: number, data: Buffer, toHost: string, toPort: number): void {
    this.deliver(fromHost, fromPort, data, toHost, toPort);
  }

  private deliver(fromHost: string, fromPort: number, data: Buffer, toHost: string, toPort: number): void {
    this.sent++;
    const from = this.network.getHost(fromHost);
    if (from && !from.online) return void this.lost++;
    const link = this.network.link(fromHost, toHost);
    if ((link.loss ?? 0) > 0 && this.rng() < link.loss!) return void this.lost++;
    let delay = link.latencyMs;
    if (link.bandwidth !== undefined && link.bandwidth > 0) {
      const now = this.network.clock.now();
      const laneKey = `${fromHost}>${toHost}`;
      let lane = this.lanes.get(laneKey);
      if (!lane) this.lanes.set(laneKey, (lane = { freeAt: now }));
      const start = Math.max(now, lane.freeAt);
      const queuedBytes = ((start - now) * link.bandwidth) / 1000;
      if (link.queueBytes !== undefined && queuedBytes + data.length > link.queueBytes) {
        this.queueDrops++;
        return void this.lost++;
      }
      lane.freeAt = start + (data.length * 1000) / link.bandwidth;
      this.onQueued?.(fromHost, toHost, data, start - now);
      delay += lane.freeAt - now;
    }
    if ((link.jitterMs ?? 0) > 0) delay += this.rng() * link.jitterMs!;
    this.network.clock.setTimeout(() => {
      const target = this.network.getHost(toHost);
      const listeners = target?.online ? this.bound.get(key(toHost, toPort)) : undefined;
      if (!listeners) return void this.lost++;
      this.delivered++;
      for (const listener of listeners) listener({ data, host: fromHost, port: fromPort });
    }, delay);
  }
}

function key(host: string, port: number): string {
  return `${host}|${port}`;
}
