import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { type HttpGuard, type HttpGuardStats, guardHttpServer } from '../env/http-guard.js';

/**
 * An HTTP + WebSocket server for watching a run from a browser on the same machine: bound to
 * 127.0.0.1 only, answering only requests addressed to a loopback name (a web page elsewhere cannot
 * reach it through DNS rebinding), and unref'd throughout so it never keeps the process alive.
 */
export interface Page {
  contentType: string;
  body: string;
}

export interface LoopbackServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Path → content, served to GET. */
  pages: Record<string, Page>;
  /** Path of the WebSocket endpoint. */
  socketPath: string;
  onConnection?(socket: WebSocket): void;
  /** WebSocket messages from browsers (the inspector relay forwards them; the dashboard ignores them). */
  onMessage?(socket: WebSocket, data: string): void;
}

export const LOOPBACK_HOST = '127.0.0.1';

/**
 * The HTTP connection rules (src/env/http-guard.ts) for a page watched from this machine: a browser
 * opens a handful of connections, so 64 is plenty, and every client is 127.0.0.1, so the
 * per-address cap is the same number.
 */
const CONNECTION_RULES = { maxConnections: 64, maxPerAddress: 64, headersTimeoutMs: 5_000, idleTimeoutMs: 15_000 };

export class LoopbackServer {
  private readonly sockets = new Set<Socket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });

  private constructor(
    private readonly server: Server,
    private readonly guard: HttpGuard,
    readonly port: number,
  ) {}

  static async start(options: LoopbackServerOptions): Promise<LoopbackServer> {
    const server = createServer();
    const guard = guardHttpServer(server, CONNECTION_RULES);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, LOOPBACK_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === 'EADDRINUSE' ? `port ${options.port} is already in use on ${LOOPBACK_HOST}` : `cannot listen on ${LOOPBACK_HOST}:${options.port}: ${err.message}`);
    });
    server.unref();
    const loopback = new LoopbackServer(server, guard, (server.address() as AddressInfo).port);
    loopback.wire(options);
    return loopback;
  }

  get address(): string {
    return (this.server.address() as AddressInfo).address;
  }

  get url(): string {
    return `http://${LOOPBACK_HOST}:${this.port}/`;
  }

  get clients(): ReadonlySet<WebSocket> {
    return this.wss.clients;
  }

  /** HTTP connections open now, and those evicted, refused and timed out so far. */
  connectionStats(): HttpGuardStats {
    return this.guard.stats();
  }

  /** Sends to every open WebSocket; a browser that cannot keep up skips messages rather than buffering them. */
  broadcast(data: string, maxBuffered = 4 << 20): void {
    for (const client of this.wss.clients) {
      if (client.readyState === WebSocket.OPEN && client.bufferedAmount < maxBuffered) client.send(data);
    }
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wire(options: LoopbackServerOptions): void {
    this.server.on('connection', (socket: Socket) => {
      socket.unref();
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.fromLoopbackName(req)) return refuse(res, 403, 'only http://127.0.0.1 or http://localhost may use this page');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const page = options.pages[path];
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
      if (!page) return refuse(res, 404, 'not found');
      res.writeHead(200, { 'Content-Type': page.contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : page.body);
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // A WebSocket lives as long as the page: no HTTP timeout applies to it any more.
      this.guard.upgraded(socket);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== options.socketPath || !this.fromLoopbackName(req) || !this.fromOwnPage(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        ws.on('message', (data, isBinary) => {
          if (!isBinary) options.onMessage?.(ws, data.toString());
        });
        options.onConnection?.(ws);
      });
    });
  }

  private fromLoopbackName(req: IncomingMessage): boolean {
    const host = req.headers.host ?? '';
    return host === `${LOOPBACK_HOST}:${this.port}` || host === `localhost:${this.port}`;
  }

  /** Browsers send Origin with WebSockets: only our own page may connect; programs (no Origin) may. */
  private fromOwnPage(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${LOOPBACK_HOST}:${this.port}` || origin === `http://localhost:${this.port}`;
  }
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}
