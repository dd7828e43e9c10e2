import { randomBytes } from 'node:crypto';
import { type ActorRefFrom, type InspectionEvent, type Observer, assign, createActor, emit, fromPromise, setup, waitFor } from 'xstate';
import type { Clock } from '../env/clock.js';
import {
  type TrackerEndpoints,
  type TrackerHandlers,
  TrackerListenError,
  type TrackerServerTransport,
} from '../env/tracker-server-transport.js';
import type { TrackerDatagram, TrackerHttpReply, TrackerHttpRequest } from '../protocol/tracker/index.js';
import { handleHttpRequest } from '../tracker/http-routes.js';
import type { TrackerConfig } from '../tracker/tracker-config.js';
import { TrackerCore, type TrackerStats } from '../tracker/tracker-core.js';
import { answerDatagram, handleDatagram } from '../tracker/udp-routes.js';
import { describeListenError } from './listen-error.js';

/**
 * The TrackerServer actor: a BitTorrent tracker serving HTTP (BEP 3/7/23/48) and UDP (BEP 15) on one
 * port number. Sockets are behind an injected TrackerServerTransport. The machine decides the
 * lifecycle; requests are carried past it: while it is `listening`, the transport's handlers answer
 * each request with a plain function call on the TrackerCore in context (tens of thousands a
 * second, with no transition and, for UDP, no allocation per packet), and outside it they refuse
 * (HTTP 503) or drop (UDP). When the actor is inspected (the inspector, `--trace`), each request is
 * also sent to it as an HTTP.REQUEST or UDP.DATAGRAM notice, which the machine ignores, so that
 * inspection sees every request. Expired peers are swept on a named delay, so the clock the actor
 * is created with drives it (use createTrackerServer, which passes the same clock to both).
 *
 *   starting ──bound──▶ listening ──STOP──▶ stopping ──closed──▶ stopped
 *      │                  └─ every SWEEP: expire peers
 *      └──bind failed──▶ failed ("port 6969 is already in use …")
 */

export interface TrackerServerInput {
  transport: TrackerServerTransport;
  clock: Clock;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a port free for both protocols. */
  port: number;
  /** Both default true; at least one must be. */
  http?: boolean;
  udp?: boolean;
  config?: Partial<TrackerConfig>;
  /** Key for UDP connection ids; default 32 random bytes. */
  secret?: Buffer;
  /** Picks which peers to list. Default Math.random. */
  rng?: () => number;
  /** Send each request to the actor as a notice event, for inspection (createTrackerServer sets it with `inspect`). */
  observed?: boolean;
}

export interface TrackerServerContext {
  transport: TrackerServerTransport;
  clock: Clock;
  host: string;
  requestedPort: number;
  http: boolean;
  udp: boolean;
  core: TrackerCore;
  observed: boolean;
  endpoints?: TrackerEndpoints;
  port?: number;
  address?: string;
  error?: string;
}

/** HTTP.REQUEST and UDP.DATAGRAM are notices of requests already answered (sent only when observed). */
export type TrackerServerEvent =
  | { type: 'HTTP.REQUEST'; request: TrackerHttpRequest }
  | { type: 'UDP.DATAGRAM'; datagram: TrackerDatagram }
  | { type: 'STOP' };

export type TrackerServerEmitted =
  | { type: 'listening'; address: string; port: number; http: boolean; udp: boolean }
  | { type: 'swept'; expiredPeers: number; droppedTorrents: number; stats: TrackerStats }
  | { type: 'failed'; error: string };

export interface TrackerServerOutput {
  port?: number;
  error?: string;
  stats: TrackerStats;
}

interface ListenInput {
  transport: TrackerServerTransport;
  host: string;
  port: number;
  http: boolean;
  udp: boolean;
  handlers: TrackerHandlers;
}

const listen = fromPromise<TrackerEndpoints, ListenInput>(async ({ input, signal }) => {
  const endpoints = await input.transport.listen(
    { host: input.host, port: input.port, http: input.http, udp: input.udp },
    input.handlers,
  );
  // STOP arrived while binding: do not leak the sockets.
  if (signal.aborted) {
    await endpoints.close();
    throw new Error('stopped while starting');
  }
  return endpoints;
});

const closeEndpoints = fromPromise<void, { endpoints?: TrackerEndpoints }>(async ({ input }) => {
  await input.endpoints?.close();
});

const INTERNAL_ERROR: TrackerHttpReply = { status: 500, contentType: 'text/plain; charset=utf-8', body: Buffer.from('internal tracker error\n') };
const UNAVAILABLE: TrackerHttpReply = { status: 503, contentType: 'text/plain; charset=utf-8', body: Buffer.from('tracker is not running\n') };

/** "port 6969 is already in use on 127.0.0.1 (UDP)", or as clear for other failures. */
export function describeTrackerListenError(err: unknown, host: string, port: number): string {
  if (err instanceof TrackerListenError) return `${describeListenError(err.cause, host, port)} (${err.protocol})`;
  return describeListenError(err, host, port);
}

export const trackerServerMachine = setup({
  types: {
    context: {} as TrackerServerContext,
    input: {} as TrackerServerInput,
    events: {} as TrackerServerEvent,
    emitted: {} as TrackerServerEmitted,
    output: {} as TrackerServerOutput,
  },
  actors: { listen, closeEndpoints },
  delays: {
    SWEEP: ({ context }) => context.core.config.sweepIntervalMs,
  },
  actions: {
    recordEndpoints: assign(({ event }) => {
      const endpoints = (event as unknown as { output: TrackerEndpoints }).output;
      return { endpoints, port: endpoints.port, address: endpoints.address };
    }),
    emitListening: emit(({ context }) => ({
      type: 'listening' as const,
      address: context.address ?? context.host,
      port: context.port ?? 0,
      http: context.http,
      udp: context.udp,
    })),
    recordListenError: assign({
      error: ({ context, event }) =>
        describeTrackerListenError((event as unknown as { error: unknown }).error, context.host, context.requestedPort),
    }),
    emitFailed: emit(({ context }) => ({ type: 'failed' as const, error: context.error ?? 'failed' })),
    // The registry is mutable state owned by this actor, like every request's effect on it.
    sweep: emit(({ context }) => {
      const swept = context.core.registry.sweep(context.clock.now());
      return { type: 'swept' as const, ...swept, stats: context.core.stats() };
    }),
  },
}).createMachine({
  id: 'trackerServer',
  context: ({ input }) => {
    return {
      transport: input.transport,
      clock: input.clock,
      host: input.host ?? '127.0.0.1',
      requestedPort: input.port,
      http: input.http ?? true,
      udp: input.udp ?? true,
      core: new TrackerCore(input.config ?? {}, input.secret ?? randomBytes(32), input.rng),
      observed: input.observed ?? false,
    };
  },
  initial: 'starting',
  states: {
    starting: {
      invoke: {
        src: 'listen',
        input: ({ context, self }) => ({
          transport: context.transport,
          host: context.host,
          port: context.requestedPort,
          http: context.http,
          udp: context.udp,
          handlers: requestHandlers(self, context),
        }),
        onDone: { target: 'listening', actions: ['recordEndpoints', 'emitListening'] },
        onError: { target: 'failed', actions: ['recordListenError', 'emitFailed'] },
      },
      on: { STOP: 'stopped' },
    },
    listening: {
      on: { STOP: 'stopping' },
      after: { SWEEP: { target: 'listening', reenter: true, actions: 'sweep' } },
    },
    stopping: {
      invoke: {
        src: 'closeEndpoints',
        input: ({ context }) => ({ endpoints: context.endpoints }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({ port: context.port, error: context.error, stats: context.core.stats() }),
});

export type TrackerServerActor = ActorRefFrom<typeof trackerServerMachine>;

/**
 * The transport's handlers: answer while the machine is `listening`, a plain call per request.
 * The routes never throw by design; the guards keep one bad request from ever ending the actor.
 */
function requestHandlers(self: { getSnapshot(): { value: unknown; status: string }; send(event: TrackerServerEvent): void }, context: TrackerServerContext): TrackerHandlers {
  const { core, clock, observed } = context;
  const listening = () => {
    const snapshot = self.getSnapshot();
    return snapshot.value === 'listening' && snapshot.status === 'active';
  };
  return {
    http(request, respond) {
      // Outside `listening` (starting, or racing STOP): HTTP gets 503.
      if (!listening()) return respond(UNAVAILABLE);
      if (observed) self.send({ type: 'HTTP.REQUEST', request });
      let reply: TrackerHttpReply;
      try {
        reply = handleHttpRequest(core, request, clock.now());
      } catch {
        reply = INTERNAL_ERROR;
      }
      respond(reply);
    },
    datagram(datagram, reply) {
      if (!listening()) return;
      if (observed) self.send({ type: 'UDP.DATAGRAM', datagram });
      try {
        const answer = handleDatagram(core, datagram, clock.now());
        if (answer) reply(answer);
      } catch {
        // Dropped: a UDP client retries.
      }
    },
    answerDatagram(data, address, port, out) {
      // Outside `listening`, datagrams are dropped.
      if (!listening()) return 0;
      if (observed) self.send({ type: 'UDP.DATAGRAM', datagram: { data, address, port } });
      try {
        return answerDatagram(core, data, address, clock.now(), out);
      } catch {
        return 0;
      }
    },
  };
}

/** Creates (not starts) the actor, its delays on the same clock as its input. */
export function createTrackerServer(
  input: TrackerServerInput,
  options: { systemId?: string; inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) } = {},
): TrackerServerActor {
  if (input.http === false && input.udp === false) throw new TypeError('a tracker needs HTTP, UDP or both');
  const observed = input.observed ?? options.inspect !== undefined;
  return createActor(trackerServerMachine, { input: { ...input, observed }, clock: input.clock, systemId: options.systemId, inspect: options.inspect });
}

/** Resolves with the bound address once listening; rejects with the clear message if binding failed. */
export async function whenTrackerListening(actor: TrackerServerActor): Promise<{ address: string; port: number }> {
  const snapshot = await waitFor(actor, (s) => s.matches('listening') || s.status !== 'active');
  if (!snapshot.matches('listening')) throw new Error(snapshot.context.error ?? 'tracker stopped before listening');
  return { address: snapshot.context.address!, port: snapshot.context.port! };
}

/** Sends STOP and resolves once the sockets are closed. */
export async function stopTrackerServer(actor: TrackerServerActor, timeoutMs = 5000): Promise<void> {
  if (actor.getSnapshot().status === 'active') actor.send({ type: 'STOP' });
  await waitFor(actor, (s) => s.status !== 'active', { timeout: timeoutMs }).catch(() => undefined);
  actor.stop();
}

/** The registry's counters (torrents, peers, announces…), read from the running server. */
export function trackerServerStats(actor: TrackerServerActor): ReturnType<TrackerServerContext['core']['stats']> {
  return actor.getSnapshot().context.core.stats();
}
