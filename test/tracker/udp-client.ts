import dgram from 'node:dgram';
import http from 'node:http';
import {
  type AddressFamily,
  type UdpAnnounceRequest,
  type UdpResponse,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
} from '../../src/protocol/tracker/index.js';
import { hash, peerId } from './registry-helpers.js';

/*
 * Raw clients for tests against a tracker on real sockets: one UDP socket that keeps its port for
 * every exchange (as libtorrent does), and a bare HTTP GET.
 */

export interface RawUdpClient {
  /** Sends a packet and resolves with the next datagram, decoded. */
  exchange(packet: Buffer): Promise<UdpResponse>;
  connect(): Promise<bigint>;
  announce(connectionId: bigint, fields?: Partial<Omit<UdpAnnounceRequest, 'action' | 'connectionId'>>): Promise<UdpResponse>;
  close(): Promise<void>;
}

export async function rawUdpClient(host: string, port: number, timeoutMs = 3000): Promise<RawUdpClient> {
  const family: AddressFamily = host.includes(':') ? 'IPv6' : 'IPv4';
  const socket = dgram.createSocket(family === 'IPv6' ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  let transactionId = 1000;
  const exchange = (packet: Buffer) =>
    new Promise<UdpResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        reject(new Error(`no UDP reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (data: Buffer) => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        try {
          resolve(decodeUdpResponse(data, family));
        } catch (err) {
          reject(err);
        }
      };
      socket.on('message', onMessage);
      socket.send(packet, port, host);
    });
  return {
    exchange,
    async connect() {
      const r = await exchange(encodeUdpConnectRequest({ transactionId: transactionId++ }));
      if (r.action !== 'connect') throw new Error(`connect refused: ${JSON.stringify(r)}`);
      return r.connectionId;
    },
    announce(connectionId, fields = {}) {
      return exchange(
        encodeUdpAnnounceRequest({
          connectionId,
          transactionId: transactionId++,
          infoHash: hash(1),
          peerId: peerId(1),
          downloaded: 0,
          left: 100,
          uploaded: 0,
          key: 1,
          port: 6881,
          ...fields,
        }),
      );
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** GET on the tracker; resolves with status and body. */
export function httpGet(url: string): Promise<{ status: number; body: Buffer; contentType: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentType: String(res.headers['content-type']) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('HTTP timeout')));
    req.on('error', reject);
  });
}
