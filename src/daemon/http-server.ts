import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type HttpGuard, guardHttpServer } from '../env/http-guard.js';
import { type AccessRules, authorized, hostAllowed, newSessionId } from './http-access.js';
import type { DaemonMetrics } from './metrics.js';
import { type Dispatch, executeRpc } from './rpc/protocol.js';
import { RPC_VERSION_SEMVER } from './rpc/session-fields.js';
import type { WebUi } from './web/web-ui.js';

/**
 * The daemon's one HTTP port: the Transmission RPC (`POST /transmission/rpc`), the web UI
 * (`/transmission/web/`, its WebSocket at `/transmission/web/ws`) and `GET /metrics`, all behind
 * the same Host allow-list and Basic auth; the RPC also behind the session-id handshake. Every
 * connection goes through the HTTP guard (timeouts, per-address caps); bodies are capped in size
 * and in time.
 */
export interface DaemonHttpOptions extends AccessRules {
  host: string;
  port: number;
  dispatch: Dispatch;
  metrics: DaemonMetrics;
  web: WebUi;
}

const RPC_PATHS = new Set(['/transmission/rpc', '/transmission/rpc/']);
const MAX_BODY_BYTES = 32 << 20;
const BODY_TIMEOUT_MS = 30_000;
const CONNECTION_RULES = { maxConnections: 256, maxPerAddress: 64, headersTimeoutMs: 10_000, idleTimeoutMs: 30_000 };

export class DaemonHttpServer {
  private sessionId = newSessionId();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly guard: HttpGuard,
    private readonly options: DaemonHttpOptions,
  ) {}

  static async start(options: DaemonHttpOptions): Promise<DaemonHttpServer> {
    const server = createServer();
    const guard = guardHttpServer(server, CONNECTION_RULES);
    const http = new DaemonHttpServer(server, guard, options);
    http.wire();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === 'EADDRINUSE' ? `RPC port ${options.port} is already in use on ${options.host}` : `cannot listen on ${options.host}:${options.port}: ${err.message}`);
    });
    return http;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get address(): string {
    return (this.server.address() as AddressInfo).address;
  }

  currentSessionId(): string {
    return this.sessionId;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.guard.detach();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wire(): void {
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) plain(res, 500, 'internal error');
        else res.destroy();
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.guard.upgraded(socket);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== '/transmission/web/ws' || !this.allowedClient(req) || !this.fromOwnPage(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.options.web.upgrade(req, socket, head);
    });
  }

  private allowedClient(req: IncomingMessage): boolean {
    return hostAllowed(req.headers.host, this.options.allowedHosts) && authorized(req.headers.authorization, this.options.auth);
  }

  /** Browsers send Origin with WebSockets: only a page served from this host may connect. */
  private fromOwnPage(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Server', 'actorrent');
    if (!hostAllowed(req.headers.host, this.options.allowedHosts)) {
      return plain(res, 421, 'Transmission received your request, but the hostname was unrecognized.');
    }
    if (!authorized(req.headers.authorization, this.options.auth)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Transmission"');
      return plain(res, 401, 'Unauthorized User');
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (RPC_PATHS.has(path)) return this.rpc(req, res);
    if (path === '/metrics' && req.method === 'GET') {
      const { contentType, body } = await this.options.metrics.text();
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      return void res.end(body);
    }
    if (path === '/' || path === '/transmission' || path === '/transmission/') {
      res.writeHead(301, { Location: '/transmission/web/' });
      return void res.end();
    }
    const page = this.options.web.page(path);
    if (page && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, {
        'Content-Type': page.contentType,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'",
      });
      return void res.end(req.method === 'HEAD' ? undefined : page.body);
    }
    return plain(res, 404, 'not found');
  }

  private async rpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers['x-transmission-session-id'] !== this.sessionId) {
      res.writeHead(409, {
        'X-Transmission-Session-Id': this.sessionId,
        'X-Transmission-Rpc-Version': RPC_VERSION_SEMVER,
        'Content-Type': 'text/html; charset=utf-8',
      });
      return void res.end(`<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p><p><code>X-Transmission-Session-Id: ${this.sessionId}</code></p>`);
    }
    if (req.method !== 'POST') return plain(res, 405, 'POST a JSON request');
    const body = await readBody(req).catch((err: Error) => err);
    if (body instanceof Error) return plain(res, body.message === 'too large' ? 413 : 408, body.message);
    const answer = await executeRpc(body, this.options.dispatch);
    res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=UTF-8', 'X-Transmission-Session-Id': this.sessionId });
    res.end(answer.body);
  }
}

function plain(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/** The request body, at most MAX_BODY_BYTES, within BODY_TIMEOUT_MS (a client that trickles its body is dropped). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(new Error('request body timed out'));
      req.destroy();
    }, BODY_TIMEOUT_MS);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
