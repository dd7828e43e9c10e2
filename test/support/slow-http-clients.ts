import net from 'node:net';

/**
 * A slow-headers flood for tests, loopback only: `perAddress` connections from each of `addresses`
 * (127.x.y.z, bound with `localAddress`), each sending the start of a request and never finishing
 * its headers. A connection the server closes is opened again at once, so the pressure stays
 * until `stop()`.
 */
export interface SlowHttpFlood {
  /** Connections opened so far (reopenings included). */
  readonly opened: number;
  /** Connections that reached the server (a 'connect' event). */
  readonly connected: number;
  /** Connections the server ended, reset or refused. */
  readonly closed: number;
  /** Open right now. */
  readonly live: number;
  stop(): void;
}

export interface SlowHttpFloodOptions {
  port: number;
  /** Loopback source addresses (127.0.0.0/8 only). */
  addresses: string[];
  perAddress: number;
  /** Sent once on connect; never a complete header block. Default: part of an announce's request line. */
  partial?: string;
}

export function startSlowHttpFlood(options: SlowHttpFloodOptions): SlowHttpFlood {
  for (const address of options.addresses) {
    if (!address.startsWith('127.')) throw new Error(`not a loopback address: ${address}`);
  }
  const partial = options.partial ?? 'GET /announce?info_hash=%12%34';
  const sockets = new Set<net.Socket>();
  let stopped = false;
  let opened = 0;
  let connected = 0;
  let closed = 0;
  const open = (localAddress: string) => {
    opened++;
    const socket = net.connect({ host: '127.0.0.1', port: options.port, localAddress });
    sockets.add(socket);
    socket.on('connect', () => {
      connected++;
      socket.write(partial);
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (stopped) return;
      closed++;
      setImmediate(() => {
        if (!stopped) open(localAddress);
      });
    });
  };
  for (const address of options.addresses) for (let i = 0; i < options.perAddress; i++) open(address);
  return {
    get opened() {
      return opened;
    },
    get connected() {
      return connected;
    },
    get closed() {
      return closed;
    },
    get live() {
      return sockets.size;
    },
    stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

/** 127.0.0.`first` … 127.0.0.`first + count - 1`. */
export function loopbackAddresses(count: number, first = 2): string[] {
  if (first < 1 || first + count - 1 > 254) throw new Error('stay within 127.0.0.1–127.0.0.254');
  return Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
}
