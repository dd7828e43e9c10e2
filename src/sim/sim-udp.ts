import type { DhtDatagram, DhtSocket, DhtSocketFactory } from '../env/dht-socket.js';
import type { Rng } from '../env/rng.js';
import type { SimNetwork } from './sim-network.js';

/**
 * Datagrams on a SimNetwork, for the DHT (and later uTP): a socket bound to a host's address and a
 * port; each datagram arrives one link latency later (`network.link`), is lost with the link's
 * `loss` probability (no retransmission: it is UDP), and is dropped when either host is offline
 * or nothing is bound at the destination. Bandwidth is not modelled: DHT traffic is tiny. Every
 * delivery is a timer on the network's SimClock, so runs are deterministic.
 */
export class SimUdp {
  private readonly bound = new Map<string, Set<(datagram: DhtDatagram) => void>>();
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
    this.network.clock.setTimeout(() => {
      const target = this.network.getHost(toHost);
      const listeners = target?.online ? this.bound.get(key(toHost, toPort)) : undefined;
      if (!listeners) return void this.lost++;
      this.delivered++;
      for (const listener of listeners) listener({ data, host: fromHost, port: fromPort });
    }, link.latencyMs);
  }
}

function key(host: string, port: number): string {
  return `${host}|${port}`;
}
