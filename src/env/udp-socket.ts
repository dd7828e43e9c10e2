import dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { DhtSocket, DhtSocketFactory } from './dht-socket.js';
import { messageOf } from '../util/message-of.js';

/** A UDP socket as the DHT and uTP see it (the DHT's interface, src/env/dht-socket.ts). */
export type DatagramSocket = DhtSocket;
export type DatagramSocketFactory = DhtSocketFactory;

/** Kernel buffers asked for (Linux caps them at net.core.[rw]mem_max): a uTP burst on loopback is larger than the default. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * A real UDP socket for the packet path: sends to an IP address skip the resolver's extra tick
 * (names still go through dns.lookup), and a send carries no per-packet callback; its errors are
 * reported through `onError` like every other socket error.
 */
export const udpDatagramSocket: DatagramSocketFactory = async ({ host, port }) => {
  const socket = dgram.createSocket({
    type: host !== undefined && isIPv6(host) ? 'udp6' : 'udp4',
    lookup: (address, options, callback) => {
      const family = isIP(address);
      if (family !== 0) return (callback as (err: null, address: string, family: number) => void)(null, address, family);
      dnsLookup(address, options, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address: host }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  for (const set of [() => socket.setRecvBufferSize(SOCKET_BUFFER_BYTES), () => socket.setSendBufferSize(SOCKET_BUFFER_BYTES)]) {
    try {
      set();
    } catch {
      /* the system's cap applies */
    }
  }
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
        socket.send(data, toPort, toHost);
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
