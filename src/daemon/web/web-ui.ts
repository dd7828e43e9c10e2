import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { InspectionEvent } from 'xstate';
import { WebSocket, WebSocketServer } from 'ws';
import { ActorBoard } from '../../ui/actor-board.js';
import { allCharts } from '../../ui/machine-charts.js';
import { pieceMap } from '../../ui/torrent-view.js';
import { hasBit } from '../../util/bits.js';
import type { Daemon } from '../daemon.js';
import { WEB_CSS } from './page-style.js';
import { WEB_HTML } from './page-html.js';
import { WEB_SCRIPT } from './page-script.js';

/**
 * The daemon's web UI: a page that drives the daemon through its own RPC (JSON-RPC 2.0, same
 * origin, same auth), and a WebSocket that streams the statecharts and piece map of the torrent
 * being looked at. Inspection events only update the ActorBoard; each tick sends one message per
 * open page, for the one torrent it watches.
 */
export interface Page {
  contentType: string;
  body: string;
}

const PAGES: Record<string, Page> = {
  '/transmission/web/': { contentType: 'text/html; charset=utf-8', body: WEB_HTML },
  '/transmission/web/app.js': { contentType: 'text/javascript; charset=utf-8', body: WEB_SCRIPT },
  '/transmission/web/style.css': { contentType: 'text/css; charset=utf-8', body: WEB_CSS },
};

export class WebUi {
  readonly board = new ActorBoard();
  private daemon?: Daemon;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 << 10 });
  private readonly watching = new Map<WebSocket, string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly tickMs = 500) {}

  /** The daemon's actors, labelled by torrent hash. */
  inspect(label: string, event: InspectionEvent): void {
    try {
      this.board.inspect(label, event);
    } catch {
      // a missed event: the next snapshot is read on the tick
    }
  }

  attach(daemon: Daemon): void {
    this.daemon = daemon;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  page(path: string): Page | undefined {
    return PAGES[path];
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.on('close', () => this.watching.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        try {
          const message = JSON.parse(data.toString()) as { watch?: unknown };
          if (typeof message.watch === 'string' && /^[0-9a-f]{40}$/.test(message.watch)) {
            this.watching.set(ws, message.watch);
            this.send(ws, message.watch);
          }
        } catch {
          // not JSON: ignored
        }
      });
      ws.send(JSON.stringify({ type: 'hello', charts: allCharts() }));
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private tick(): void {
    for (const [ws, hash] of this.watching) this.send(ws, hash);
  }

  private send(ws: WebSocket, hash: string): void {
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 1 << 20) return;
    const actors = this.board.views().filter((a) => a.label === hash);
    ws.send(JSON.stringify({ type: 'state', hash, actors, pieces: this.pieces(hash) }));
  }

  /** One character per piece, as the dashboard draws it; from the resume data when the torrent is stopped. */
  private pieces(hash: string): string {
    const entry = this.daemon?.get(hash);
    if (!entry?.meta) return '';
    const handle = entry.liveHandle();
    if (handle) {
      try {
        return pieceMap(handle);
      } catch {
        // being torn down: fall through to the saved bitfield
      }
    }
    const have = entry.haveBitfield();
    let out = '';
    for (let i = 0; i < entry.meta.pieceCount; i++) out += hasBit(have, i) ? 'h' : 'm';
    return out;
  }
}
