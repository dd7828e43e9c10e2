import net from 'node:net';
import { RawPeer } from './raw-peer.js';

/**
 * RawPeer over real loopback TCP: dial a running Session (`connectRawPeer`), or listen and let a
 * Session dial us (`listenRawPeers`) — the way to script the remote side of an outgoing connection.
 */

export interface TcpRawPeer extends RawPeer {
  /** Resolves once the connection is closed (by either side). */
  whenClosed(): Promise<void>;
  /** Our end's `host:port`, as the session names this connection (kept: a closed socket forgets it). */
  readonly localAddress: string;
}

function wrap(socket: net.Socket, options: { expectHandshake?: boolean; record?: boolean }): TcpRawPeer {
  const peer = new RawPeer(socket, options) as TcpRawPeer;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  peer.whenClosed = () => closed;
  (peer as { localAddress: string }).localAddress = `${socket.localAddress}:${socket.localPort}`;
  return peer;
}

export function connectRawPeer(port: number, options: { host?: string; record?: boolean } = {}): Promise<TcpRawPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host ?? '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(wrap(socket, options));
    });
  });
}

export interface RawPeerServer {
  port: number;
  /** Every connection accepted, in order. */
  peers: TcpRawPeer[];
  /** Resolves with the next connection (or the first one not yet taken). */
  next(): Promise<TcpRawPeer>;
  close(): Promise<void>;
}

export async function listenRawPeers(
  onPeer: (peer: TcpRawPeer) => void = () => {},
  options: { record?: boolean } = {},
): Promise<RawPeerServer> {
  const peers: TcpRawPeer[] = [];
  const waiting: ((peer: TcpRawPeer) => void)[] = [];
  let taken = 0;
  const server = net.createServer((socket) => {
    const peer = wrap(socket, options);
    peers.push(peer);
    onPeer(peer);
    const resolve = waiting.shift();
    if (resolve) {
      taken++;
      resolve(peer);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    peers,
    next: () => {
      const ready = peers[taken];
      if (ready) {
        taken++;
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of peers) p.destroy();
        server.close(() => resolve());
      }),
  };
}
