import { assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import type { AnnounceEvent, PeerAddress } from '../protocol/tracker/index.js';
import {
  type AnnounceRequest,
  type AnnounceResult,
  type AnnounceTimeouts,
  type UdpConnection,
  announce,
  udpEndpointKey,
} from './tracker-announce.js';
import { FIRST, type TierCursor, nextCursor, promote, shuffleTiers, urlAt, usableTiers } from './tracker-tiers.js';
import { messageOf } from '../util/message-of.js';

/*
 * One torrent's tracker lifecycle: `started` when it starts, regular announces every `interval`,
 * `completed` once when the download finishes, `stopped` on the way out. BEP 12 tiers are walked in
 * order on every announce; when every tracker fails the machine backs off and tries again. Each
 * attempt at one URL is an invoked promise, so leaving the state (STOP) aborts it.
 *
 * The machine reads time from `input.clock` and XState schedules its `after` timers on the clock
 * given to createActor: pass the same one to both (SimulatedClock in tests).
 */

export interface TransferStats {
  uploaded: number;
  downloaded: number;
  left: number;
}

export interface TrackerClientTimeouts extends AnnounceTimeouts {
  /** The `stopped` announce never holds shutdown up longer than this. */
  stopMs: number;
}

export interface TrackerClientInput {
  /** BEP 12 tiers (a lone `announce` URL is one tier of one), already deduplicated. */
  tiers: string[][];
  infoHash: Buffer;
  peerId: Buffer;
  /** Our listening port. */
  port: number;
  transport: TrackerTransport;
  clock: Clock;
  stats: () => TransferStats;
  /** Peers to ask for on each announce; default 50. */
  numwant?: number;
  /** BEP 7 key: lets a tracker recognise us if our address changes. Default: drawn from rng. */
  key?: number;
  onPeers: (peers: PeerAddress[], source: string) => void;
  /** Shuffles the tiers (BEP 12) and draws UDP transaction ids. Default Math.random. */
  rng?: () => number;
  timeouts?: Partial<TrackerClientTimeouts>;
}

/** `none` is a regular announce (BEP 15's name for "no event"). */
export type TrackerEventName = AnnounceEvent | 'none';

export type TrackerClientEvent = { type: 'COMPLETED' } | { type: 'STOP' } | { type: 'REANNOUNCE' };

export type TrackerClientEmitted =
  | { type: 'announce'; url: string; event: TrackerEventName }
  | {
      type: 'announce-ok';
      url: string;
      event: TrackerEventName;
      peers: number;
      /** Seconds until the next regular announce, after clamping and `min interval`. */
      interval: number;
      complete?: number;
      incomplete?: number;
    }
  | { type: 'announce-failed'; url: string; event: TrackerEventName; error: string }
  | { type: 'warning'; url: string; message: string };

export interface TrackerClientContext {
  /** Usable URLs only, shuffled once; a tracker that answers moves to the front of its tier. */
  tiers: string[][];
  unsupported: string[];
  /** The URL the current (or next) attempt goes to. */
  cursor: TierCursor;
  /** The attempt in flight. */
  current?: { url: string; event: AnnounceEvent | undefined };
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  transport: TrackerTransport;
  clock: Clock;
  rng: () => number;
  stats: () => TransferStats;
  numwant: number;
  key: number;
  onPeers: (peers: PeerAddress[], source: string) => void;
  timeouts: TrackerClientTimeouts;
  /** A `started` announce succeeded: trackers know us from now on. */
  startedAcked: boolean;
  /** We had everything when we started, so there is no download to report as completed. */
  completeAtStart: boolean;
  completedPending: boolean;
  completedSent: boolean;
  /** STOP came while `completed` was being announced: finish telling it, then stop. */
  stopAfterAnnounce: boolean;
  /** By URL. */
  trackerIds: Record<string, Buffer>;
  /** By UDP endpoint (host:port). */
  udpConnections: Record<string, UdpConnection>;
  lastSuccessAt?: number;
  minIntervalMs: number;
  /** Clock time of the next announce, in `waiting` and `backingOff`. */
  nextAnnounceAt: number;
  /** Rounds in a row in which every tracker failed. */
  failures: number;
  /** The tracker that answered last: the one told `stopped`. */
  lastGoodUrl?: string;
  stopUrl?: string;
}

export const MIN_INTERVAL_S = 60;
export const MAX_INTERVAL_S = 60 * 60;
/** When a tracker gives no `min interval`, REANNOUNCE still waits this long after an announce. */
export const DEFAULT_MIN_INTERVAL_S = 30;
export const BACKOFF_FIRST_MS = 15_000;
export const BACKOFF_MAX_MS = 30 * 60_000;

export const DEFAULT_TIMEOUTS: TrackerClientTimeouts = { httpMs: 15_000, udpMs: 5_000, udpAttempts: 2, stopMs: 5_000 };

/** 15 s, 30 s, 60 s … doubling per round in which every tracker failed, capped at 30 min. */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, failures - 1), BACKOFF_MAX_MS);
}

/** What the next announce tells the tracker, from what it has heard so far. */
export function pendingEvent(context: TrackerClientContext): AnnounceEvent | undefined {
  if (!context.startedAcked) return 'started';
  if (context.completedPending) return 'completed';
  return undefined;
}

/** `min interval` after the last announce a tracker answered. */
function earliestAnnounce(context: TrackerClientContext): number {
  return (context.lastSuccessAt ?? -Infinity) + context.minIntervalMs;
}

function eventName(event: AnnounceEvent | undefined): TrackerEventName {
  return event ?? 'none';
}

function requestFor(context: TrackerClientContext, url: string, event: AnnounceEvent | undefined): AnnounceRequest {
  const stats = context.stats();
  const endpoint = udpEndpointKey(url);
  const stopping = event === 'stopped';
  const { timeouts } = context;
  return {
    url,
    event,
    infoHash: context.infoHash,
    peerId: context.peerId,
    port: context.port,
    uploaded: stats.uploaded,
    downloaded: stats.downloaded,
    left: stats.left,
    // Leaving: nobody to connect to.
    numwant: stopping ? 0 : context.numwant,
    key: context.key,
    trackerId: context.trackerIds[url],
    udpConnection: endpoint === undefined ? undefined : context.udpConnections[endpoint],
    transport: context.transport,
    now: () => context.clock.now(),
    rng: context.rng,
    timeouts: stopping
      ? { httpMs: timeouts.stopMs, udpMs: Math.ceil(timeouts.stopMs / 2), udpAttempts: 1 }
      : { httpMs: timeouts.httpMs, udpMs: timeouts.udpMs, udpAttempts: timeouts.udpAttempts },
  };
}

const announceActor = fromPromise<AnnounceResult, AnnounceRequest>(({ input, signal }) => announce(input, signal));

export const trackerClientMachine = setup({
  types: {
    context: {} as TrackerClientContext,
    input: {} as TrackerClientInput,
    events: {} as TrackerClientEvent,
    emitted: {} as TrackerClientEmitted,
  },
  actors: { announce: announceActor },
  delays: {
    UNTIL_NEXT_ANNOUNCE: ({ context }) => Math.max(0, context.nextAnnounceAt - context.clock.now()),
    STOP_TIMEOUT: ({ context }) => context.timeouts.stopMs,
  },
  guards: {
    announcingCompleted: ({ context }) => context.current?.event === 'completed' || context.completedPending,
    stopAfterAnnounce: ({ context }) => context.stopAfterAnnounce,
    noTrackers: ({ context }) => context.tiers.length === 0,
    eventPending: ({ context }) => pendingEvent(context) !== undefined,
    hasNextUrl: ({ context }) => nextCursor(context.tiers, context.cursor) !== undefined,
    mayReportCompleted: ({ context }) => !context.completeAtStart && !context.completedPending && !context.completedSent,
    trackerKnowsUs: ({ context }) => context.lastGoodUrl !== undefined,
    minIntervalPassed: ({ context }) => earliestAnnounce(context) <= context.clock.now(),
  },
  actions: {
    warnUnsupported: enqueueActions(({ context, enqueue }) => {
      for (const url of context.unsupported) {
        enqueue.emit({ type: 'warning', url, message: 'unsupported tracker URL scheme; skipped' });
      }
    }),
    beginAttempt: assign(({ context }) => ({
      current: { url: urlAt(context.tiers, context.cursor)!, event: pendingEvent(context) },
    })),
    beginStop: assign(({ context }) => ({ current: { url: context.stopUrl!, event: 'stopped' as const } })),
    emitAnnounce: emit(({ context }) => ({
      type: 'announce' as const,
      url: context.current!.url,
      event: eventName(context.current!.event),
    })),
    emitOk: emit(({ context }, params: { result: AnnounceResult }) => {
      const { result } = params;
      const ok: Extract<TrackerClientEmitted, { type: 'announce-ok' }> = {
        type: 'announce-ok',
        url: context.current!.url,
        event: eventName(context.current!.event),
        peers: result.peers.length,
        interval: Math.round(nextIntervalMs(result) / 1000),
      };
      if (result.complete !== undefined) ok.complete = result.complete;
      if (result.incomplete !== undefined) ok.incomplete = result.incomplete;
      return ok;
    }),
    emitFailed: emit(({ context }, params: { error: unknown }) => ({
      type: 'announce-failed' as const,
      url: context.current!.url,
      event: eventName(context.current!.event),
      error: messageOf(params.error),
    })),
    emitStopTimedOut: emit(({ context }) => ({
      type: 'announce-failed' as const,
      url: context.current!.url,
      event: 'stopped' as const,
      error: `no reply within ${context.timeouts.stopMs} ms`,
    })),
    emitReplyWarning: enqueueActions(({ context, enqueue }, params: { result: AnnounceResult }) => {
      const message = params.result.warning;
      if (message !== undefined) enqueue.emit({ type: 'warning', url: context.current!.url, message });
    }),
    deliverPeers: ({ context }, params: { result: AnnounceResult }) => {
      if (params.result.peers.length > 0) context.onPeers(params.result.peers, context.current!.url);
    },
    recordSuccess: assign(({ context }, params: { result: AnnounceResult }) => {
      const { result } = params;
      const { url, event } = context.current!;
      const now = context.clock.now();
      const endpoint = udpEndpointKey(url);
      return {
        tiers: promote(context.tiers, url),
        cursor: FIRST,
        startedAcked: true,
        completedPending: event === 'completed' ? false : context.completedPending,
        completedSent: context.completedSent || event === 'completed',
        trackerIds: result.trackerId ? { ...context.trackerIds, [url]: result.trackerId } : context.trackerIds,
        udpConnections:
          endpoint !== undefined && result.udpConnection
            ? { ...context.udpConnections, [endpoint]: result.udpConnection }
            : context.udpConnections,
        lastSuccessAt: now,
        minIntervalMs: minIntervalMs(result),
        nextAnnounceAt: now + nextIntervalMs(result),
        failures: 0,
        lastGoodUrl: url,
      };
    }),
    /** A failed UDP exchange may mean the tracker forgot our connection id: get a new one next time. */
    forgetConnection: assign(({ context }) => {
      const endpoint = udpEndpointKey(context.current!.url);
      if (endpoint === undefined || !(endpoint in context.udpConnections)) return {};
      const { [endpoint]: _dropped, ...rest } = context.udpConnections;
      return { udpConnections: rest };
    }),
    advanceCursor: assign(({ context }) => ({ cursor: nextCursor(context.tiers, context.cursor)! })),
    scheduleBackoff: assign(({ context }) => {
      const failures = context.failures + 1;
      return { failures, cursor: FIRST, nextAnnounceAt: context.clock.now() + backoffMs(failures) };
    }),
    markCompletedPending: assign({ completedPending: true }),
    /** Announce as soon as `min interval` allows. */
    announceSoon: assign(({ context }) => ({
      nextAnnounceAt: Math.min(context.nextAnnounceAt, earliestAnnounce(context)),
    })),
    stopAtLastGood: assign(({ context }) => ({ stopUrl: context.lastGoodUrl })),
    deferStop: assign({ stopAfterAnnounce: true }),
    /** STOP mid-announce: a `started` in flight may have reached the tracker, so it is told too. */
    stopAtLastGoodOrCurrent: assign(({ context }) => ({ stopUrl: context.lastGoodUrl ?? context.current!.url })),
  },
}).createMachine({
  id: 'trackerClient',
  context: ({ input }) => {
    const rng = input.rng ?? Math.random;
    const { tiers, unsupported } = usableTiers(input.tiers);
    return {
      tiers: shuffleTiers(tiers, rng),
      unsupported,
      cursor: FIRST,
      infoHash: input.infoHash,
      peerId: input.peerId,
      port: input.port,
      transport: input.transport,
      clock: input.clock,
      rng,
      stats: input.stats,
      numwant: input.numwant ?? 50,
      key: input.key ?? Math.floor(rng() * 0x1_0000_0000) >>> 0,
      onPeers: input.onPeers,
      timeouts: { ...DEFAULT_TIMEOUTS, ...input.timeouts },
      startedAcked: false,
      completeAtStart: input.stats().left === 0,
      completedPending: false,
      completedSent: false,
      stopAfterAnnounce: false,
      trackerIds: {},
      udpConnections: {},
      minIntervalMs: DEFAULT_MIN_INTERVAL_S * 1000,
      nextAnnounceAt: input.clock.now(),
      failures: 0,
    };
  },
  initial: 'starting',
  states: {
    starting: {
      entry: 'warnUnsupported',
      always: [{ guard: 'noTrackers', target: 'idle' }, { target: 'announcing' }],
    },
    /** No tracker we can speak to: nothing to do until STOP. */
    idle: {
      on: { STOP: 'stopped' },
    },
    announcing: {
      entry: ['beginAttempt', 'emitAnnounce'],
      invoke: {
        src: 'announce',
        input: ({ context }) => requestFor(context, context.current!.url, context.current!.event),
        onDone: {
          target: 'announced',
          actions: [
            { type: 'emitOk', params: ({ event }) => ({ result: event.output }) },
            { type: 'emitReplyWarning', params: ({ event }) => ({ result: event.output }) },
            { type: 'deliverPeers', params: ({ event }) => ({ result: event.output }) },
            { type: 'recordSuccess', params: ({ event }) => ({ result: event.output }) },
          ],
        },
        onError: {
          target: 'failed',
          actions: [{ type: 'emitFailed', params: ({ event }) => ({ error: event.error }) }, 'forgetConnection'],
        },
      },
      on: {
        COMPLETED: { guard: 'mayReportCompleted', actions: 'markCompletedPending' },
        // A finished download stopping at once (no --seed) still owes the tracker its `completed`.
        STOP: [
          { guard: 'announcingCompleted', actions: 'deferStop' },
          { target: 'stopping', actions: 'stopAtLastGoodOrCurrent' },
        ],
      },
    },
    /** Transient: a tracker answered; announce again at once if an event is still to be told. */
    announced: {
      always: [
        { guard: 'stopAfterAnnounce', target: 'stopping', actions: 'stopAtLastGood' },
        { guard: 'eventPending', target: 'announcing' },
        { target: 'waiting' },
      ],
    },
    /** Transient: one URL failed; try the next one, or back off when every tier has failed. */
    failed: {
      always: [
        { guard: 'stopAfterAnnounce', target: 'stopping', actions: 'stopAtLastGoodOrCurrent' },
        { guard: 'hasNextUrl', target: 'announcing', actions: 'advanceCursor' },
        { target: 'backingOff', actions: 'scheduleBackoff' },
      ],
    },
    waiting: {
      after: { UNTIL_NEXT_ANNOUNCE: 'announcing' },
      on: {
        COMPLETED: { guard: 'mayReportCompleted', target: 'announcing', actions: 'markCompletedPending' },
        REANNOUNCE: [
          { guard: 'minIntervalPassed', target: 'announcing' },
          { target: 'waiting', reenter: true, actions: 'announceSoon' },
        ],
        STOP: [{ guard: 'trackerKnowsUs', target: 'stopping', actions: 'stopAtLastGood' }, { target: 'stopped' }],
      },
    },
    backingOff: {
      after: { UNTIL_NEXT_ANNOUNCE: 'announcing' },
      on: {
        // Told with the next attempt: the trackers are not answering now.
        COMPLETED: { guard: 'mayReportCompleted', actions: 'markCompletedPending' },
        REANNOUNCE: [
          { guard: 'minIntervalPassed', target: 'announcing' },
          { target: 'backingOff', reenter: true, actions: 'announceSoon' },
        ],
        STOP: [{ guard: 'trackerKnowsUs', target: 'stopping', actions: 'stopAtLastGood' }, { target: 'stopped' }],
      },
    },
    stopping: {
      entry: ['beginStop', 'emitAnnounce'],
      invoke: {
        src: 'announce',
        input: ({ context }) => requestFor(context, context.current!.url, 'stopped'),
        onDone: {
          target: 'stopped',
          actions: [{ type: 'emitOk', params: ({ event }) => ({ result: event.output }) }],
        },
        onError: {
          target: 'stopped',
          actions: [{ type: 'emitFailed', params: ({ event }) => ({ error: event.error }) }],
        },
      },
      after: { STOP_TIMEOUT: { target: 'stopped', actions: 'emitStopTimedOut' } },
    },
    stopped: { type: 'final' },
  },
});

/** Milliseconds to the next regular announce: `interval` clamped to [60 s, 1 h], never below `min interval`. */
function nextIntervalMs(result: AnnounceResult): number {
  const interval = Math.min(Math.max(result.interval, MIN_INTERVAL_S), MAX_INTERVAL_S) * 1000;
  return Math.max(interval, minIntervalMs(result));
}

/** A tracker's `min interval`, capped at 1 h so no tracker can silence us for longer. */
function minIntervalMs(result: AnnounceResult): number {
  return Math.min(result.minInterval ?? DEFAULT_MIN_INTERVAL_S, MAX_INTERVAL_S) * 1000;
}
