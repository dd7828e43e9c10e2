import type { DhtDatagram, DhtSocketFactory } from './dht-socket.js';
import { looksLikeUtp } from '../protocol/utp/packet.js';
import { type DatagramSocket, type DatagramSocketFactory, udpDatagramSocket } from './udp-socket.js';

/**
 * One UDP socket per port number, shared by the DHT and uTP (and whatever else speaks UDP there):
 * each user opens a channel of a kind, and every datagram goes to the channels of the kind its
 * first bytes show. KRPC is a bencoded dictionary, so it starts with 'd' (0x64); a uTP v1 header
 * starts with type << 4 | 1 (0x01..0x41). Anything else is dropped and counted, before any parsing.
 * The socket closes when its last channel does.
 */
export type DatagramKind = 'utp' | 'krpc';

export function classifyDatagram(data: Buffer): DatagramKind | undefined {
  if (data[0] === 0x64) return 'krpc';
  if (looksLikeUtp(data)) return 'utp';
  return undefined;
}

interface SharedPort {
  socket: DatagramSocket;
  channels: number;
  listeners: Record<DatagramKind, Set<(datagram: DhtDatagram) => void>>;
  unclassified: number;
}

export class SharedUdpPorts {
  private readonly ports = new Map<string, Promise<SharedPort>>();

  constructor(private readonly factory: DatagramSocketFactory = udpDatagramSocket) {}

  /** The DHT's socket factory: its channel on the shared port (the DHT's API is unchanged). */
  readonly krpcSocket: DhtSocketFactory = (options) => this.open('krpc', options);

  /** A channel of `kind` on the UDP port `host:port` (0: a fresh port), opening the socket if needed. */
  async open(kind: DatagramKind, options: { host?: string; port: number }): Promise<DatagramSocket> {
    const port = await this.acquire(options.host, options.port);
    port.channels++;
    const mine = new Set<(datagram: DhtDatagram) => void>();
    let closed = false;
    return {
      address: port.socket.address,
      port: port.socket.port,
      send: (data, host, toPort) => {
        if (!closed) port.socket.send(data, host, toPort);
      },
      onDatagram: (listener) => {
        port.listeners[kind].add(listener);
        mine.add(listener);
        return () => {
          port.listeners[kind].delete(listener);
          mine.delete(listener);
        };
      },
      onError: (listener) => port.socket.onError(listener),
      close: async () => {
        if (closed) return;
        closed = true;
        for (const listener of mine) port.listeners[kind].delete(listener);
        if (--port.channels > 0) return;
        for (const [k, p] of this.ports) if ((await p.catch(() => undefined)) === port) this.ports.delete(k);
        await port.socket.close();
      },
    };
  }

  /** Datagrams on `host:port` that were neither KRPC nor uTP. */
  async unclassified(host: string | undefined, port: number): Promise<number> {
    return (await this.ports.get(portKey(host, port)))?.unclassified ?? 0;
  }

  private acquire(host: string | undefined, port: number): Promise<SharedPort> {
    const key = portKey(host, port);
    const existing = port === 0 ? undefined : this.ports.get(key);
    if (existing) return existing;
    const opening = this.factory({ host, port }).then((socket) => {
      const shared: SharedPort = { socket, channels: 0, listeners: { utp: new Set(), krpc: new Set() }, unclassified: 0 };
      socket.onDatagram((datagram) => {
        const kind = classifyDatagram(datagram.data);
        if (kind === undefined) return void shared.unclassified++;
        for (const listener of shared.listeners[kind]) listener(datagram);
      });
      if (port === 0) this.ports.set(portKey(host, socket.port), Promise.resolve(shared));
      return shared;
    });
    if (port !== 0) {
      this.ports.set(key, opening);
      opening.catch(() => this.ports.delete(key));
    }
    return opening;
  }
}

function portKey(host: string | undefined, port: number): string {
  return `${host ?? '*'}|${port}`;
}
