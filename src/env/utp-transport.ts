import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from './clock.js';
import type { Listener, PeerSocket, Transport } from './transport.js';
import type { DatagramSocket } from './udp-socket.js';
import { SharedUdpPorts } from './udp-ports.js';
import { UtpEndpoint, type UtpEndpointOptions } from '../engine/utp/endpoint.js';
import { startUtpConnection } from '../actors/utp-connection.js';

export interface UtpTransportOptions extends Partial<Omit<UtpEndpointOptions, 'clock'>> {
  /** The UDP ports, shared with the DHT (default: a registry of real sockets of its own). */
  ports?: SharedUdpPorts;
  clock?: Clock;
}

/** uTP as a Transport: the same listen/connect as TCP; sockets are UtpSockets (`transport: 'utp'`). */
export interface UtpTransport extends Transport {
  /** The ports' endpoints (stats, tests). */
  endpoints(): UtpEndpoint[];
}

interface OpenEndpoint {
  endpoint: UtpEndpoint;
  channel: DatagramSocket;
  family: 4 | 6;
}

/**
 * uTP over UDP ports. Listening opens the uTP channel of the UDP port with the listening port's
 * number (shared with the DHT, src/env/udp-ports.ts); dials go out from that same port, so peers
 * see one address for us, as with libtorrent. Dials before any listen (or to the other address
 * family) use a port of their own, closed once its last connection is gone.
 *
 * On the system clock, timestamps come from performance.now() (µs) and acks and sends are batched
 * per event-loop turn (setImmediate); on a simulated clock both come from the clock itself.
 */
export function createUtpTransport(options: UtpTransportOptions = {}): UtpTransport {
  const ports = options.ports ?? new SharedUdpPorts();
  const clock = options.clock ?? systemClock;
  const real = clock === systemClock;
  const endpointOptions: UtpEndpointOptions = {
    ...options,
    clock,
    lifecycle: startUtpConnection,
    rng: options.rng ?? Math.random,
    micros: options.micros ?? (real ? () => Math.floor(performance.now() * 1000) : undefined),
    defer: options.defer ?? (real ? (fn) => void setImmediate(fn) : undefined),
  };
  const open = new Set<OpenEndpoint>();
  let listening: OpenEndpoint | undefined;
  const dialing = new Map<string, Promise<OpenEndpoint>>();

  const start = async (host: string | undefined, port: number): Promise<OpenEndpoint> => {
    const channel = await ports.open('utp', { host, port });
    const endpoint = new UtpEndpoint(channel, endpointOptions);
    channel.onDatagram((d) => endpoint.receive(d.data, d.host, d.port));
    const entry: OpenEndpoint = { endpoint, channel, family: isIPv6(channel.address) ? 6 : 4 };
    open.add(entry);
    endpoint.onIdle = () => {
      if (entry === listening) return;
      open.delete(entry);
      for (const [k, p] of dialing) void p.then((e) => e === entry && dialing.delete(k));
      void channel.close();
    };
    return entry;
  };

  const forDial = (host: string, localAddress: string | undefined): Promise<OpenEndpoint> => {
    const family = isIPv6(host) ? 6 : 4;
    if (listening && listening.family === family) return Promise.resolve(listening);
    const bindTo = localAddress ?? (family === 6 ? '::' : undefined);
    const k = `${family}|${bindTo ?? ''}`;
    let entry = dialing.get(k);
    if (!entry) {
      entry = start(bindTo, 0);
      dialing.set(k, entry);
      entry.catch(() => dialing.delete(k));
    }
    return entry;
  };

  return {
    async listen({ host, port }, onConnection): Promise<Listener> {
      const entry = await start(host, port);
      listening = entry;
      entry.endpoint.listen((socket) => onConnection(socket));
      return {
        address: entry.channel.address,
        port: entry.channel.port,
        close: async () => {
          if (listening === entry) listening = undefined;
          entry.endpoint.stopListening();
          if (entry.endpoint.connectionCount === 0) {
            open.delete(entry);
            await entry.channel.close();
          }
        },
      };
    },
    async connect({ host, port, localAddress, timeoutMs }): Promise<PeerSocket> {
      const entry = await forDial(host, localAddress);
      try {
        return await entry.endpoint.connect(host, port, timeoutMs);
      } catch (err) {
        throw new Error(`uTP connect to ${host}:${port} failed: ${(err as Error).message}`);
      }
    },
    endpoints: () => [...open].map((e) => e.endpoint),
  };
}
