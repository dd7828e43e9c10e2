import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { messageOf } from '../util/message-of.js';

/*
 * The network edge of the DHT: one UDP socket. The DHT actors see only this interface, so tests and
 * the simulator inject their own (src/sim/sim-udp.ts).
 */

export interface DhtDatagram {
  data: Buffer;
  host: string;
  port: number;
}

export interface DhtSocket {
  /** The address and port bound (the port is the one picked when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  /** Sends one datagram; `host` may be a name (resolved by the system: bootstrap routers). Never throws. */
  send(data: Buffer, host: string, port: number): void;
  /** Every datagram received; returns the unsubscribe. */
  onDatagram(listener: (datagram: DhtDatagram) => void): () => void;
  /** Send and socket errors after opening; returns the unsubscribe. */
  onError(listener: (error: Error) => void): () => void;
  close(): Promise<void>;
}

export interface DhtSocketOptions {
  /** Bind to this address; default every IPv4 address. */
  host?: string;
  port: number;
}

export type DhtSocketFactory = (options: DhtSocketOptions) => Promise<DhtSocket>;

/** A real UDP socket (node:dgram), IPv4 unless the bind address is IPv6. */
export const udpDhtSocket: DhtSocketFactory = async ({ host, port }) => {
  const socket = dgram.createSocket({ type: host !== undefined && isIPv6(host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address: host }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const errorListeners = new Set<(error: Error) => void>();
  // An unheard 'error' would crash the process.
  socket.on('error', (err) => errorListeners.forEach((l) => l(err)));
  const bound = socket.address();
  let closed = false;
  return {
    address: bound.address,
    port: bound.port,
    send: (data, toHost, toPort) => {
      if (closed) return;
      try {
        socket.send(data, toPort, toHost, (err) => {
          if (err) errorListeners.forEach((l) => l(new Error(`send to ${toHost}:${toPort}: ${messageOf(err)}`)));
        });
      } catch (err) {
        errorListeners.forEach((l) => l(new Error(`send to ${toHost}:${toPort}: ${messageOf(err)}`)));
      }
    },
    onDatagram: (listener) => {
      const handler = (data: Buffer, remote: dgram.RemoteInfo) => listener({ data, host: remote.address, port: remote.port });
      socket.on('message', handler);
      return () => socket.off('message', handler);
    },
    onError: (listener) => {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
};
