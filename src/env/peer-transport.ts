import { type TransportOrder, attemptTimeout, dialTransports } from '../policy/transport-order.js';
import { peerKey } from '../protocol/peer-address.js';
import { messageOf } from '../util/message-of.js';
import { type Listener, type PeerSocket, type Transport, tcpTransport } from './transport.js';
import { SharedUdpPorts } from './udp-ports.js';
import { type UtpTransport, type UtpTransportOptions, createUtpTransport } from './utp-transport.js';

export interface PeerTransportOptions {
  /** `--transport` (src/policy/transport-order.ts). */
  order: TransportOrder;
  tcp?: Transport;
  utp?: UtpTransport;
  /** Options of the uTP transport made when `utp` is not given. */
  utpOptions?: UtpTransportOptions;
  /** A first uTP attempt falls back to the next after this long (default 4 s; libtorrent's SYN timeout is 3 s). */
  utpFallbackMs?: number;
  /** Peers remembered as not answering uTP (bounded). */
  maxRemembered?: number;
}

/** The peer port's transports, plus the UDP ports they share with the DHT. */
export interface PeerTransport extends Transport {
  readonly order: TransportOrder;
  readonly utp?: UtpTransport;
}

/**
 * The Transport a session uses: TCP, uTP, or both on one port number. Listening on both takes the
 * TCP port first and uTP on the UDP port of the same number (a busy UDP port with `port: 0` picks
 * another pair). A dial tries the transports in `order`, moving on when one fails or times out;
 * a peer that failed uTP and answered TCP is dialled over TCP first afterwards.
 */
export function createPeerTransport(options: PeerTransportOptions): PeerTransport {
  const tcp = options.tcp ?? tcpTransport;
  const useUtp = options.order.includes('utp');
  const utp = useUtp ? (options.utp ?? createUtpTransport({ ports: new SharedUdpPorts(), ...options.utpOptions })) : undefined;
  const useTcp = options.order.includes('tcp');
  const fallbackMs = options.utpFallbackMs ?? 4000;
  const maxRemembered = options.maxRemembered ?? 4096;
  const noUtp = new Set<string>();
  const of = (kind: 'tcp' | 'utp'): Transport => (kind === 'tcp' ? tcp : utp!);

  const listenBoth = async (host: string | undefined, port: number, onConnection: (socket: PeerSocket) => void): Promise<Listener> => {
    for (let attempt = 0; ; attempt++) {
      const tcpListener = await tcp.listen({ host, port }, onConnection);
      try {
        const utpListener = await utp!.listen({ host, port: tcpListener.port }, onConnection);
        return {
          address: tcpListener.address,
          port: tcpListener.port,
          close: async () => {
            await Promise.all([tcpListener.close(), utpListener.close()]);
          },
        };
      } catch (err) {
        await tcpListener.close();
        if (port !== 0 || attempt >= 4) throw new Error(`cannot listen for uTP on UDP port ${tcpListener.port}: ${messageOf(err)}`);
      }
    }
  };

  return {
    order: options.order,
    utp,
    listen({ host, port }, onConnection) {
      if (useTcp && useUtp) return listenBoth(host, port, onConnection);
      return of(useTcp ? 'tcp' : 'utp').listen({ host, port }, onConnection);
    },
    async connect(dial) {
      const key = peerKey(dial.host, dial.port) ?? `${dial.host}:${dial.port}`;
      const kinds = dialTransports(options.order, noUtp.has(key));
      let lastError: unknown;
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[i]!;
        try {
          const socket = await of(kind).connect({ ...dial, timeoutMs: attemptTimeout(kind, i === kinds.length - 1, dial.timeoutMs, fallbackMs) });
          if (kind === 'tcp' && i > 0 && kinds[0] === 'utp') remember(noUtp, key, maxRemembered);
          return socket;
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError instanceof Error ? lastError : new Error(String(lastError));
    },
  };
}

function remember(set: Set<string>, key: string, max: number): void {
  set.delete(key);
  set.add(key);
  if (set.size > max) set.delete(set.values().next().value!);
}
