import { type ActorRefFrom, assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { LsdSocket } from '../env/lsd-socket.js';
import {
  DEFAULT_LSD_SCHEDULE,
  type LsdIntakeOptions,
  type LsdSchedule,
  type LsdScheduleOptions,
  emptySchedule,
  lsdPeer,
  nextDueAt,
  scheduleTorrent,
  takeDue,
  unscheduleTorrent,
} from '../policy/lsd.js';
import { type LsdFamily, encodeLsdAnnounce, groupForAnnounce } from '../protocol/lsd.js';
import { messageOf } from '../util/message-of.js';
import { type LsdListenerEvent, lsdListener } from './lsd-listener.js';

/*
 * Local Service Discovery (BEP 14) for a whole session: one multicast socket, any number of
 * torrents. Each torrent added is announced at once and every 5 minutes after (never twice within
 * a minute: src/policy/lsd.ts), several infohashes to a datagram; announces heard from others,
 * except our own (the cookie), become peers of the torrents we have.
 *
 *   starting ──socket open──▶ running ──STOP──▶ stopping ──closed──▶ stopped
 *       └──cannot open──▶ failed (the torrents go on without LSD)
 *
 * Timers are `after` delays on the actor's clock and times are read from `input.clock`: give
 * createActor the same clock (the simulator's, or a stepping clock in tests).
 */

export interface LsdInput {
  /** Opens the multicast socket (src/env/lsd-socket.ts, or a fake). */
  openSocket: () => Promise<LsdSocket>;
  clock: Clock;
  /** Our listening port: where the peers that hear us connect. */
  port: number;
  /** Recognises our own announces when they loop back. Default: 8 hex digits from `rng`. */
  cookie?: string;
  rng?: () => number;
  /** Peers heard announcing a torrent we have (hex infohash). */
  onPeers: (infoHash: string, peers: { host: string; port: number }[]) => void;
  schedule?: Partial<LsdScheduleOptions>;
  intake?: Partial<LsdIntakeOptions>;
}

export type LsdEvent =
  | { type: 'ADD_TORRENT'; infoHash: string }
  | { type: 'REMOVE_TORRENT'; infoHash: string }
  | { type: 'SEND_FAILED'; family: LsdFamily; message: string }
  | { type: 'STOP' }
  | LsdListenerEvent;

export type LsdEmitted =
  | { type: 'ready'; families: LsdFamily[]; warnings: string[] }
  | { type: 'failed'; error: string }
  | { type: 'announced'; family: LsdFamily; infoHashes: string[] }
  | { type: 'peer'; infoHash: string; address: string }
  | { type: 'warning'; message: string };

export interface LsdCounts {
  /** Datagrams sent. */
  sent: number;
  /** Announces read, our own included. */
  heard: number;
  own: number;
  /** Peers handed to torrents. */
  peers: number;
  rateLimited: number;
  malformed: number;
  sendFailures: number;
}

export interface LsdContext {
  openSocket: () => Promise<LsdSocket>;
  clock: Clock;
  port: number;
  cookie: string;
  onPeers: LsdInput['onPeers'];
  scheduleOptions: LsdScheduleOptions;
  intake?: Partial<LsdIntakeOptions>;
  socket?: LsdSocket;
  schedule: LsdSchedule;
  counts: LsdCounts;
  error?: string;
}

const openSocket = fromPromise<LsdSocket, { open: () => Promise<LsdSocket> }>(async ({ input, signal }) => {
  const socket = await input.open();
  // Stopped while opening: nobody else will close it.
  if (signal.aborted) {
    await socket.close();
    throw new Error('stopped while opening');
  }
  return socket;
});
const closeSocket = fromPromise<void, { socket: LsdSocket }>(({ input }) => input.socket.close());

const CLOSE_TIMEOUT_MS = 2000;

export const lsdMachine = setup({
  types: {
    context: {} as LsdContext,
    input: {} as LsdInput,
    events: {} as LsdEvent,
    emitted: {} as LsdEmitted,
  },
  actors: { openSocket, closeSocket, listen: lsdListener },
  delays: {
    /** Until the next torrent is due; with none, a re-check after a full interval. */
    UNTIL_NEXT_DUE: ({ context }) => {
      const at = nextDueAt(context.schedule);
      return at === undefined ? context.scheduleOptions.reannounceMs : Math.max(0, at - context.clock.now());
    },
    CLOSE_TIMEOUT: CLOSE_TIMEOUT_MS,
  },
  guards: {
    ours: ({ context, event }) =>
      event.type === 'HEARD' && event.announce.cookie !== undefined && event.announce.cookie.toLowerCase() === context.cookie.toLowerCase(),
  },
  actions: {
    addTorrent: assign(({ context, event }) =>
      event.type === 'ADD_TORRENT' ? { schedule: scheduleTorrent(context.schedule, event.infoHash, context.clock.now(), context.scheduleOptions) } : {},
    ),
    removeTorrent: assign(({ context, event }) =>
      event.type === 'REMOVE_TORRENT' ? { schedule: unscheduleTorrent(context.schedule, event.infoHash) } : {},
    ),
    /** Sends every due torrent, as few datagrams per family as fit (BEP 14: at most 1400 bytes each). */
    announceDue: enqueueActions(({ context, enqueue, self }) => {
      const socket = context.socket!;
      const { due, schedule } = takeDue(context.schedule, context.clock.now(), context.scheduleOptions);
      if (schedule !== context.schedule) enqueue.assign({ schedule });
      if (due.length === 0) return;
      let sent = 0;
      for (const family of socket.families) {
        for (const infoHashes of groupForAnnounce(due, { family, port: context.port, cookie: context.cookie })) {
          const datagram = encodeLsdAnnounce({ family, port: context.port, infoHashes, cookie: context.cookie });
          enqueue(() => {
            socket.send(family, datagram).catch((err: unknown) => self.send({ type: 'SEND_FAILED', family, message: messageOf(err) }));
          });
          enqueue.emit({ type: 'announced', family, infoHashes });
          sent++;
        }
      }
      enqueue.assign({ counts: { ...context.counts, sent: context.counts.sent + sent } });
    }),
    /** Each torrent of ours in the announce gets the sender as a peer. */
    deliverPeers: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'HEARD') return;
      const peer = lsdPeer(event.address, event.announce.port);
      const ours = event.announce.infoHashes.filter((infoHash) => context.schedule.get(infoHash)?.active);
      const delivered = peer ? ours.length : 0;
      enqueue.assign({ counts: { ...context.counts, heard: context.counts.heard + 1, peers: context.counts.peers + delivered } });
      if (!peer) return;
      for (const infoHash of ours) {
        enqueue(() => context.onPeers(infoHash, [peer]));
        enqueue.emit({ type: 'peer', infoHash, address: `${event.address}:${event.announce.port}` });
      }
    }),
    countOwn: assign(({ context }) => ({ counts: { ...context.counts, heard: context.counts.heard + 1, own: context.counts.own + 1 } })),
    countDropped: assign(({ context, event }) =>
      event.type === 'DROPPED'
        ? { counts: { ...context.counts, rateLimited: context.counts.rateLimited + event.rateLimited, malformed: context.counts.malformed + event.malformed } }
        : {},
    ),
    warnSendFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SEND_FAILED') return;
      enqueue.assign({ counts: { ...context.counts, sendFailures: context.counts.sendFailures + 1 } });
      // IPv6 is best effort: an interface whose IPv6 address is still tentative (just brought up)
      // refuses sends for a few seconds; it is counted, and the next round tries again.
      if (event.family === 'IPv6') return;
      enqueue.emit({ type: 'warning', message: `cannot send an LSD announce (${event.family}): ${event.message}` });
    }),
    warnSocketError: emit(({ event }) => ({ type: 'warning' as const, message: `LSD socket: ${event.type === 'SOCKET_ERROR' ? event.message : ''}` })),
  },
}).createMachine({
  id: 'lsd',
  context: ({ input }) => ({
    openSocket: input.openSocket,
    clock: input.clock,
    port: input.port,
    cookie: input.cookie ?? randomCookie(input.rng ?? Math.random),
    onPeers: input.onPeers,
    scheduleOptions: { ...DEFAULT_LSD_SCHEDULE, ...input.schedule },
    intake: input.intake,
    schedule: emptySchedule(),
    counts: { sent: 0, heard: 0, own: 0, peers: 0, rateLimited: 0, malformed: 0, sendFailures: 0 },
  }),
  initial: 'starting',
  states: {
    starting: {
      invoke: {
        src: 'openSocket',
        input: ({ context }) => ({ open: context.openSocket }),
        onDone: {
          target: 'running',
          actions: [
            assign({ socket: ({ event }) => event.output }),
            emit(({ event }) => ({ type: 'ready' as const, families: [...event.output.families], warnings: [...event.output.warnings] })),
          ],
        },
        onError: {
          target: 'failed',
          actions: [
            assign({ error: ({ event }) => messageOf(event.error) }),
            emit(({ event }) => ({ type: 'failed' as const, error: messageOf(event.error) })),
          ],
        },
      },
      on: {
        ADD_TORRENT: { actions: 'addTorrent' },
        REMOVE_TORRENT: { actions: 'removeTorrent' },
        STOP: 'stopped',
      },
    },
    running: {
      invoke: {
        src: 'listen',
        input: ({ context }) => ({ socket: context.socket!, clock: context.clock, intake: context.intake }),
      },
      initial: 'waiting',
      states: {
        /**
         * Until the next torrent is due, re-entered when one is added. A torrent added is due at
         * once, but sent from the timer: torrents added in one go share a datagram.
         */
        waiting: {
          after: { UNTIL_NEXT_DUE: { target: 'waiting', reenter: true, actions: 'announceDue' } },
        },
      },
      on: {
        ADD_TORRENT: { target: '.waiting', reenter: true, actions: 'addTorrent' },
        REMOVE_TORRENT: { actions: 'removeTorrent' },
        HEARD: [{ guard: 'ours', actions: 'countOwn' }, { actions: 'deliverPeers' }],
        DROPPED: { actions: 'countDropped' },
        SEND_FAILED: { actions: 'warnSendFailed' },
        SOCKET_ERROR: { actions: 'warnSocketError' },
        STOP: 'stopping',
      },
    },
    stopping: {
      invoke: {
        src: 'closeSocket',
        input: ({ context }) => ({ socket: context.socket! }),
        onDone: 'stopped',
        onError: 'stopped',
      },
      after: { CLOSE_TIMEOUT: 'stopped' },
    },
    /** No multicast here (no interface, no permission): the session runs without LSD. */
    failed: { type: 'final' },
    stopped: { type: 'final' },
  },
});

/** 8 hex digits, as libtorrent's cookie (it reads ours as hex too). */
function randomCookie(rng: () => number): string {
  return Math.floor(rng() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}

/** LocalDiscovery's read of the counts (nothing outside src/actors reads a machine's context). */
export function lsdCounts(actor: ActorRefFrom<typeof lsdMachine>): LsdCounts {
  return { ...actor.getSnapshot().context.counts };
}
