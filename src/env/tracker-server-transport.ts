import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import { isIP } from 'node:net';
import { MAX_UDP_REPLY_BYTES, type TrackerDatagram, type TrackerHttpReply, type TrackerHttpRequest } from '../protocol/tracker/server-io.js';
import { messageOf } from '../util/message-of.js';
import { type HttpGuard, type HttpGuardOptions, type HttpGuardStats, guardHttpServer } from './http-guard.js';

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
  /**
   * The same without allocating: the reply is written into `out` (MAX_UDP_REPLY_BYTES of room) and
   * its length returned, 0 for none. A transport that sends from one buffer uses this one.
   */
  answerDatagram(data: Buffer, address: string, port: number, out: Buffer): number;
}

export interface TrackerEndpoints {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface TrackerServerTransport {
  listen(options: TrackerListenOptions, handlers: TrackerHandlers): Promise<TrackerEndpoints>;
  /** What the HTTP connection rules did, over every server this transport has run (real sockets only). */
  httpConnections?(): HttpGuardStats;
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

/**
 * The HTTP connection rules (src/env/http-guard.ts): headers within 5 s, idle keep-alive closed after
 * 15 s, 1024 connections and 32 per address, where a new connection evicts the oldest idle or
 * incomplete one. 32 per address: one address may be a NAT with many clients, and a tracker request
 * takes a few milliseconds, so 32 at once is plenty for one; yet a flood then needs more than
 * 1024 / 32 = 32 addresses before it can even reach the overall cap.
 */
export interface NodeTrackerTransportOptions extends HttpGuardOptions {
  /** The whole request (a body too) must arrive within this; node checks it only every 30 s, a backstop. Default 10 s. */
  requestTimeoutMs?: number;
}

/**
 * Connections the kernel completes before we accept them (it caps this at net.core.somaxconn, 4096 on
 * current Linux), as opentracker asks for SOMAXCONN. Node's 511 overflows when a flood of clients
 * reconnects as fast as we evict them: the kernel then drops honest SYNs too, which cost their
 * senders a 1 s retransmission.
 */
const LISTEN_BACKLOG = 4096;

/**
 * A 'message' listener that writes every reply into one buffer and sends it from there. A send the
 * kernel could not take at once is queued with a reference to its bytes: the buffer then belongs to
 * that send, and the next replies get a new one.
 */
export function replyFromOneBuffer(
  socket: Pick<dgram.Socket, 'send' | 'getSendQueueCount'>,
  answer: TrackerHandlers['answerDatagram'],
): (data: Buffer, from: { address: string; port: number }) => void {
  let out = Buffer.allocUnsafe(MAX_UDP_REPLY_BYTES);
  return (data, from) => {
    const length = answer(data, from.address, from.port, out);
    if (length === 0) return;
    // Undeliverable replies (ICMP errors, full buffers) are the client's loss; never an exception.
    socket.send(out, 0, length, from.port, from.address);
    if (socket.getSendQueueCount() > 0) out = Buffer.allocUnsafe(MAX_UDP_REPLY_BYTES);
  };
}

/**
 * Replies go to the address a datagram came from, always an IP literal: answered at once, where
 * node's default (dns.lookup) defers every send to the next tick.
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  const version = isIP(address);
  if (version !== 0) callback(null, address, version);
  else dns.lookup(address, family as number, callback);
}

/** Both protocols on one port number: with port 0, tries this many ports before giving up. */
const SAME_PORT_ATTEMPTS = 20;

export function createTrackerServerTransport(options: NodeTrackerTransportOptions = {}): TrackerServerTransport {
  const guards: HttpGuard[] = [];
  const guard = (server: http.Server) => {
    const made = guardHttpServer(server, options);
    guards.push(made);
    return made;
  };
  return {
    async listen(listen, handlers) {
      if (!listen.http && !listen.udp) throw new TypeError('nothing to listen on: neither HTTP nor UDP');
      for (let attempt = 1; ; attempt++) {
        try {
          return await bindBoth(listen, handlers, options, guard);
        } catch (err) {
          // Port 0: the port the first protocol got was taken for the second one. Try another.
          const retry = listen.port === 0 && err instanceof TrackerListenError && err.code === 'EADDRINUSE';
          if (!retry || attempt >= SAME_PORT_ATTEMPTS) throw err;
        }
      }
    },
    httpConnections() {
      const total: HttpGuardStats = { open: 0, evicted: 0, refused: 0, timedOut: 0 };
      for (const stats of guards.map((g) => g.stats())) {
        for (const key of Object.keys(total) as (keyof HttpGuardStats)[]) total[key] += stats[key];
      }
      return total;
    },
  };
}

async function bindBoth(
  listen: TrackerListenOptions,
  handlers: TrackerHandlers,
  options: NodeTrackerTransportOptions,
  guard: (server: http.Server) => HttpGuard,
): Promise<TrackerEndpoints> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = () => Promise.all(closers.map((close) => close())).then(() => undefined);
  try {
    let port = listen.port;
    let address = listen.host;
    if (listen.http) {
      const bound = await bindHttp(listen.host, port, handlers, options, guard);
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

function bindHttp(
  host: string,
  port: number,
  handlers: TrackerHandlers,
  options: NodeTrackerTransportOptions,
  guard: (server: http.Server) => HttpGuard,
): Promise<Bound> {
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  // Node's own header timeout stays as a coarse backstop; the guard enforces the real one.
  const server = http.createServer({ requestTimeout: timeoutMs, headersTimeout: timeoutMs, maxHeaderSize: 8192 }, (req, res) => {
    // Trackers take no body. Unread, whatever comes is drained and dropped by node itself once the
    // response is sent (the guard and requestTimeout bound how long that may take).
    let answered = false;
    handlers.http(
      { method: req.method ?? 'GET', url: req.url ?? '/', remoteAddress: req.socket.remoteAddress ?? '', remotePort: req.socket.remotePort ?? 0 },
      (reply) => {
        if (answered) return;
        answered = true;
        // Content-Length on every reply: a keep-alive client knows where each one ends.
        res.writeHead(reply.status, ['content-type', reply.contentType, 'content-length', String(reply.body.length), 'cache-control', 'no-store']);
        res.end(reply.body);
      },
    );
  });
  // Not server.maxConnections: at its cap node resets every new connection, honest ones included.
  guard(server);
  server.maxHeadersCount = 64;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new TrackerListenError('HTTP', err.code, err)));
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
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
  const socket = dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
  socket.on('message', replyFromOneBuffer(socket, (data, address, from, out) => handlers.answerDatagram(data, address, from, out)));
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
