import type { WebSocket } from 'ws';
import type { Session, TorrentHandle } from '../session.js';
import { ObserverError, type SessionObserver } from '../session-observer.js';
import { messageOf } from '../util/message-of.js';
import { ActorBoard } from './actor-board.js';
import { LoopbackServer } from './loopback-server.js';
import { allCharts } from './machine-charts.js';
import { DASHBOARD_PAGES } from './page/pages.js';
import { type PieceMap, type TorrentView, pieceMap, torrentView } from './torrent-view.js';

/**
 * `--ui [PORT]`: a live dashboard on http://127.0.0.1:PORT/, served by actorrent itself (no CDN, no
 * internet). Inspection events only update memory; every `tickMs` one message with the actors'
 * states, the torrents, peers and rates goes to the open pages, so a fast download pays nothing per
 * event for being watched. The piece map is sent only when it changed.
 *
 * Messages (JSON): `hello` on connect { charts, actors, torrents (with pieces and rate history) },
 * then `state` each tick { actors, torrents (pieces only when changed, one rate sample) }.
 */
export interface Dashboard extends SessionObserver {
  readonly url: string;
  readonly port: number;
}

export interface DashboardOptions {
  /** 0 picks a free port. */
  port?: number;
  log?: (line: string) => void;
  tickMs?: number;
  /** Rate samples kept per torrent for the charts (at one per tick). */
  historyLength?: number;
}

interface WatchedTorrent {
  id: string;
  label: string;
  handle: TorrentHandle;
  session: Session;
  /** [time ms, download B/s, upload B/s] */
  history: [number, number, number][];
  pieces?: PieceMap;
}

export const SOCKET_PATH = '/ws';
const PIECE_MAP_RESEND_TICKS = 10;

export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const tickMs = options.tickMs ?? 400;
  const historyLength = options.historyLength ?? 150;
  const board = new ActorBoard();
  const torrents: WatchedTorrent[] = [];
  const charts = allCharts();

  const view = (t: WatchedTorrent): TorrentView | undefined => {
    try {
      return torrentView(t.id, t.label, t.handle, t.session);
    } catch {
      return undefined; // a torrent being torn down: shown again on the next tick, or gone
    }
  };
  const hello = () =>
    JSON.stringify({
      type: 'hello',
      charts,
      actors: board.views(),
      torrents: torrents.flatMap((t) => {
        const v = view(t);
        return v ? [{ ...v, pieces: safePieceMap(t.handle), history: t.history }] : [];
      }),
    });

  const server = await LoopbackServer.start({
    port: options.port ?? 0,
    socketPath: SOCKET_PATH,
    pages: DASHBOARD_PAGES,
    onConnection: (ws: WebSocket) => ws.send(hello()),
  }).catch((err: unknown) => {
    throw new ObserverError(`cannot serve the dashboard: ${messageOf(err)}`);
  });

  let ticks = 0;
  const tick = () => {
    const now = Date.now();
    // A page that fell behind skipped messages: the piece map is sent again now and then regardless.
    const resendPieces = ++ticks % PIECE_MAP_RESEND_TICKS === 0;
    const actors = board.views();
    const watching = server.clients.size > 0;
    const out = [];
    for (const t of torrents) {
      const v = view(t);
      if (!v) continue;
      const sample: [number, number, number] = [now, v.downloadRate, v.uploadRate];
      t.history.push(sample);
      if (t.history.length > historyLength) t.history.shift();
      if (!watching) continue;
      const pieces = safePieceMap(t.handle);
      const send = resendPieces || pieces !== t.pieces;
      t.pieces = pieces;
      out.push({ ...v, sample, ...(send ? { pieces } : {}) });
    }
    if (watching) server.broadcast(JSON.stringify({ type: 'state', actors, torrents: out }));
  };
  const ticker = setInterval(tick, tickMs);
  ticker.unref();

  (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(`dashboard: ${server.url}`);

  return {
    url: server.url,
    port: server.port,
    inspect(label, event) {
      // Called inside XState's event processing: a failure here must never reach the actors.
      try {
        board.inspect(label, event);
      } catch {
        // the page misses one event; the next tick reads the actor's snapshot again
      }
    },
    torrentAdded(label, session, handle) {
      torrents.push({ id: `t${torrents.length}`, label, handle, session, history: [] });
    },
    async close() {
      clearInterval(ticker);
      await server.close();
    },
  };
}

function safePieceMap(handle: TorrentHandle): PieceMap {
  try {
    return pieceMap(handle);
  } catch {
    return '';
  }
}
