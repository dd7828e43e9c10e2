import { PassThrough } from 'node:stream';
import type { Listener, PeerSocket, Transport } from '../../src/env/transport.js';

/**
 * A Transport under the test's control: incoming connections are injected by hand, and every dial
 * waits until the test makes it succeed or fail, so timing is the test's (with a SimulatedClock).
 */

/** One end of a fake link: what is written to it is what its reader reads, as if sent by the peer. */
export class FakeSocket extends PassThrough implements PeerSocket {
  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {
    super();
  }
}

export interface PendingDial {
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  settled: boolean;
  succeed(): FakeSocket;
  fail(message?: string): void;
}

export class FakeTransport implements Transport {
  /** Set to make listen() reject with it. */
  listenError?: Error;
  listening = false;
  readonly dials: PendingDial[] = [];
  readonly sockets: FakeSocket[] = [];
  private onConnection?: (socket: PeerSocket) => void;

  async listen(options: { host?: string; port: number }, onConnection: (socket: PeerSocket) => void): Promise<Listener> {
    if (this.listenError) throw this.listenError;
    this.onConnection = onConnection;
    this.listening = true;
    return {
      address: options.host ?? '0.0.0.0',
      port: options.port === 0 ? 40_000 : options.port,
      close: async () => {
        this.listening = false;
      },
    };
  }

  /** A peer connects to us; returns the socket the server got (write to it to send as the peer). */
  incoming(remoteAddress = '10.0.0.1', remotePort = 50_000 + this.sockets.length): FakeSocket {
    if (!this.onConnection || !this.listening) throw new Error('not listening');
    const socket = new FakeSocket(remoteAddress, remotePort);
    this.sockets.push(socket);
    this.onConnection(socket);
    return socket;
  }

  connect(options: { host: string; port: number; localAddress?: string; timeoutMs: number }): Promise<PeerSocket> {
    return new Promise((resolve, reject) => {
      const dial: PendingDial = {
        ...options,
        settled: false,
        succeed: () => {
          if (dial.settled) throw new Error('dial already settled');
          dial.settled = true;
          const socket = new FakeSocket(options.host, options.port);
          this.sockets.push(socket);
          resolve(socket);
          return socket;
        },
        fail: (message = 'connection refused') => {
          if (dial.settled) throw new Error('dial already settled');
          dial.settled = true;
          reject(new Error(`connect ECONNREFUSED ${options.host}:${options.port}: ${message}`));
        },
      };
      this.dials.push(dial);
    });
  }

  get pending(): PendingDial[] {
    return this.dials.filter((d) => !d.settled);
  }
}

/** Lets stream events and promise callbacks run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
