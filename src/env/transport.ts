import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { PeerTransportKind } from '../policy/transport-order.js';
import { adoptTransientReads, transientReadOptions } from './transient-reads.js';

/** A byte stream to one peer: a TCP socket here, a simulated link in the simulator. */
export interface PeerSocket extends Duplex {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** What carries the bytes: 'utp' for a uTP connection; TCP sockets (and simulated links) leave it out. */
  readonly transport?: PeerTransportKind;
  /** A layer over a socket whose write callback means it holds no reference to the written buffer (see below). */
  readonly releasesWrittenBuffers?: boolean;
}

export type { PeerTransportKind } from '../policy/transport-order.js';

/** The transport under a connection, through any layer above it (an MSE stream forwards its socket's). */
export function transportOf(socket: PeerSocket): PeerTransportKind {
  return socket.transport === 'utp' ? 'utp' : 'tcp';
}

/**
 * Whether a write's callback means the socket no longer references the written buffer: true of TCP
 * sockets (the kernel has copied the bytes) and of layers that say so (an encrypting one has its
 * own ciphertext by then); not of layers that queue what they send (uTP keeps it to resend) or that
 * we cannot see into.
 */
export function writeCallbackReleasesBuffer(socket: PeerSocket): boolean {
  return socket instanceof net.Socket || socket.releasesWrittenBuffers === true;
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The network edge: everything the engine knows of sockets. */
export interface Transport {
  listen(options: { host?: string; port: number }, onConnection: (socket: PeerSocket) => void): Promise<Listener>;
  connect(options: { host: string; port: number; localAddress?: string; timeoutMs: number }): Promise<PeerSocket>;
}

/**
 * Bytes a peer socket buffers before it reports congestion (node's default is 16 KiB: less than one
 * block with its header, so a seeder would wait for 'drain' after every block).
 */
const SOCKET_BUFFER_BYTES = 256 * 1024;

export const tcpTransport: Transport = {
  listen({ host, port }, onConnection) {
    const server = net.createServer({ noDelay: true, highWaterMark: SOCKET_BUFFER_BYTES }, (socket) => {
      adoptTransientReads(socket);
      onConnection(socket);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        const address = server.address() as net.AddressInfo;
        resolve({
          address: address.address,
          port: address.port,
          // New connections are refused from here on; the ones already handed to torrents are theirs
          // to close, so we do not wait for them (net.Server#close would).
          close: async () => {
            server.close();
          },
        });
      });
    });
  },
  connect({ host, port, localAddress, timeoutMs }) {
    return new Promise((resolve, reject) => {
      // net.Socket passes stream options on to its Duplex; @types/node does not list them.
      const reads = transientReadOptions();
      const options: net.NetConnectOpts & { highWaterMark: number } = { host, port, localAddress, noDelay: true, highWaterMark: SOCKET_BUFFER_BYTES, onread: reads.onread };
      const socket = net.connect(options);
      reads.bind(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        // The caller attaches its own error handler before the next tick.
        socket.off('error', fail);
        resolve(socket);
      });
    });
  },
};
