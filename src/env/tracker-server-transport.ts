import dgram from 'node:dgram';
import http from 'node:http';
import { isIP } from 'node:net';
import type { TrackerDatagram, TrackerHttpReply, TrackerHttpRequest } from '../protocol/tracker/index.js';
import { messageOf } from '../util/message-of.js';

/*
 * The network edge of the tracker server: an HTTP server and a UDP socket on the same port number.
 * The tracker-server actor sees only this interface, so tests (and the simulator) can hand it
 * requests without sockets.
 */

export interface TrackerListenOptions {
  host: string;
  /** 0 picks a port free for both protocols. */
  port: number;
  http: boolean;
  udp: boolean;
}

export interface TrackerHandlers {
  /** Must call `respond` once. */
  http(request: TrackerHttpRequest, respond: (reply: TrackerHttpReply) => void): void;
  /** `reply` sends a datagram back to where this one came from. */
  datagram(datagram: TrackerDatagram, reply: (data: Buffer) => void): void;
}

export interface TrackerEndpoints {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface TrackerServerTransport {
  listen(options: TrackerListenOptions, handlers: TrackerHandlers): Promise<TrackerEndpoints>;
}

/** A bind that failed; `cause` is the system error (EADDRINUSE …). */
export class TrackerListenError extends Error {
  override name = 'TrackerListenError';
  constructor(
    readonly protocol: 'HTTP' | 'UDP',
    readonly code: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`${protocol}: ${messageOf(cause)}`);
  }
}

export interface NodeTrackerTransportOptions {
  /** Open HTTP connections at once; more wait in the kernel's backlog. Default 1024. */
  maxConnections?: number;
  /** A request must arrive whole within this. Default 10 s. */
  requestTimeoutMs?: number;
}

/** Both protocols on one port number: with port 0, tries this many ports before giving up. */
const SAME_PORT_ATTEMPTS = 20;

export function createTrackerServerTransport(options: NodeTrackerTransportOptions = {}): TrackerServerTransport {
  return {
    async listen(listen, handlers) {
      if (!listen.http && !listen.udp) throw new TypeError('nothing to listen on: neither HTTP nor UDP');
      for (let attempt = 1; ; attempt++) {
        try {
          return await bindBoth(listen, handlers, options);
        } catch (err) {
          // Port 0: the port the first protocol got was taken for the second one. Try another.
          const retry = listen.port === 0 && err instanceof TrackerListenError && err.code === 'EADDRINUSE';
          if (!retry || attempt >= SAME_PORT_ATTEMPTS) throw err;
        }
      }
    },
  };
}

async function bindBoth(
  listen: TrackerListenOptions,
  handlers: TrackerHandlers,
  options: NodeTrackerTransportOptions,
): Promise<TrackerEndpoints> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = () => Promise.all(closers.map((close) => close())).then(() => undefined);
  try {
    let port = listen.port;
    let address = listen.host;
    if (listen.http) {
      const bound = await bindHttp(listen.host, port, handlers, options);
      closers.push(bound.close);
      port = bound.port;
      address = bound.address;
    }
    if (listen.udp) {
      const bound = await bindUdp(listen.host, port, handlers);
      closers.push(bound.close);
      port = bound.port;
      address = bound.address;
    }
    return { address, port, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

interface Bound {
  address: string;
  port: number;
  close(): Promise<void>;
}

function bindHttp(host: string, port: number, handlers: TrackerHandlers, options: NodeTrackerTransportOptions): Promise<Bound> {
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const server = http.createServer({ requestTimeout: timeoutMs, headersTimeout: timeoutMs, maxHeaderSize: 8192 }, (req, res) => {
    // Trackers take no body: drain whatever comes, without keeping it.
    req.resume();
    let answered = false;
    handlers.http(
      { method: req.method ?? 'GET', url: req.url ?? '/', remoteAddress: req.socket.remoteAddress ?? '', remotePort: req.socket.remotePort ?? 0 },
      (reply) => {
        if (answered) return;
        answered = true;
        res.writeHead(reply.status, {
          'content-type': reply.contentType,
          'content-length': reply.body.length,
          'cache-control': 'no-store',
        });
        res.end(reply.body);
      },
    );
  });
  server.maxConnections = options.maxConnections ?? 1024;
  server.maxHeadersCount = 64;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new TrackerListenError('HTTP', err.code, err)));
    server.listen({ host, port }, () => {
      server.removeAllListeners('error');
      // A failing connection is that client's problem, never the server's.
      server.on('error', () => undefined);
      const info = server.address() as { address: string; port: number };
      resolve({
        address: info.address,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function bindUdp(host: string, port: number, handlers: TrackerHandlers): Promise<Bound> {
  const socket = dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
  socket.on('message', (data, rinfo) => {
    handlers.datagram({ data, address: rinfo.address, port: rinfo.port }, (reply) => {
      // Undeliverable replies (ICMP errors, full buffers) are the client's loss; never an exception.
      socket.send(reply, rinfo.port, rinfo.address, () => undefined);
    });
  });
  return new Promise((resolve, reject) => {
    socket.once('error', (err: NodeJS.ErrnoException) => {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to close.
      }
      reject(new TrackerListenError('UDP', err.code, err));
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      const info = socket.address();
      let closed = false;
      resolve({
        address: info.address,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            if (closed) return done();
            closed = true;
            socket.close(() => done());
          }),
      });
    });
  });
}
