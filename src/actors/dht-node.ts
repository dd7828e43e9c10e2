import { assign, emit, enqueueActions, fromPromise, raise, setup } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { DhtSocket } from '../env/dht-socket.js';
import { answerQuery } from '../dht/answer.js';
import { nodeIdMatchesAddress } from '../dht/bep42.js';
import type { IntakeOptions } from '../dht/intake.js';
import type { LookupOptions } from '../dht/lookup.js';
import { randomId } from '../dht/node-id.js';
import { PeerStore, type PeerStoreOptions } from '../dht/peer-store.js';
import { RoutingTable, type RoutingTableOptions } from '../dht/routing-table.js';
import { type TokenSecrets, newSecrets, rotateSecrets } from '../dht/tokens.js';
import { Transactions } from '../dht/transactions.js';
import { KRPC_ERROR, type KrpcMessage, type KrpcQuery, type NodeContact, type PeerContact, encodeKrpc, familyOf } from '../protocol/krpc/index.js';
import { messageOf } from '../util/message-of.js';
import { type DhtListenerEvent, dhtListener } from './dht-listener.js';
import { type DhtLookupInput, type DhtLookupRequest, type LookupKind, type LookupQuery, dhtLookupMachine } from './dht-lookup.js';

/*
 * A Mainline DHT node (BEP 5) on one UDP socket:
 *
 *   starting ──socket open──▶ running ──STOP──▶ stopping ──closed──▶ stopped
 *       └──cannot bind──▶ failed
 *
 * running has three regions:
 *   routing:      bootstrapping (a find_node lookup of our own id) ──▶ ready (maintenance every
 *                 minute: stale buckets refreshed, questionable nodes pinged, token secret rotated,
 *                 expired announces dropped) ──(table empty)──▶ bootstrapping; no node at all
 *                 answered ──▶ waiting, then bootstrapping again;
 *   transactions: time-outs of our queries (one timer, at the earliest deadline);
 *   torrents:     get_peers / announce lookups of the infohashes we track, when each is due.
 *
 * Incoming queries are answered at once (src/dht/answer.ts); every node that answers us or asks
 * us something (and is not read-only, BEP 43) is offered to the routing table. Each lookup is a
 * child actor (src/actors/dht-lookup.ts); this node sends its queries and routes the answers back
 * by transaction id. Bounded: the routing table, the peer store, queries in flight (256), lookups
 * running at once (16), the intake rate (src/actors/dht-listener.ts).
 */

export interface DhtNodeInput {
  openSocket: () => Promise<DhtSocket>;
  clock: Clock;
  rng: () => number;
  /** Default: random. */
  nodeId?: Buffer;
  /** Where to start when the table is empty: `host:port` of known nodes or routers (names allowed). */
  bootstrap?: PeerContact[];
  /** Nodes saved from an earlier run (pinged by the bootstrap lookup, no trust taken from them). */
  savedNodes?: NodeContact[];
  /** BEP 42: nodes whose id does not match their address stay out of the routing table. Default true. */
  enforceNodeId?: boolean;
  /** BEP 43: we answer no query and say so (`ro`) in ours. */
  readOnly?: boolean;
  queryTimeoutMs?: number;
  routing?: Partial<RoutingTableOptions>;
  lookup?: Partial<LookupOptions>;
  peerStore?: Partial<PeerStoreOptions>;
  intake?: Partial<IntakeOptions>;
  /** Peers found for a tracked infohash (hex). */
  onPeers?: (infoHash: string, peers: PeerContact[]) => void;
}

export type DhtNodeEvent =
  | DhtListenerEvent
  | DhtLookupRequest
  /** Look up an infohash from now on (and announce us when `announce` is given); again every `intervalMs`. */
  | { type: 'TRACK'; infoHash: Buffer; announce?: { port: number; impliedPort: boolean; seed?: boolean } }
  | { type: 'UNTRACK'; infoHash: string }
  /** A node heard of elsewhere (a peer's `port` message): pinged, and added if it answers. */
  | { type: 'ADD_NODE'; host: string; port: number }
  | { type: 'TIMEOUTS.ARM' }
  | { type: 'TORRENTS.CHECK' }
  | { type: 'STOP' };

export type DhtNodeEmitted =
  | { type: 'ready'; port: number; nodes: number }
  | { type: 'failed'; error: string }
  | { type: 'peers'; infoHash: string; peers: PeerContact[] }
  | { type: 'lookup-done'; kind: LookupKind; target: string; queries: number; peers: number; announcedTo: number; answered: number }
  | { type: 'warning'; message: string };

export interface DhtCounts {
  sent: number;
  received: number;
  queriesIn: number;
  repliesIn: number;
  errorsIn: number;
  timeouts: number;
  /** Answers whose transaction id (or source) matched nothing we asked. */
  unexpected: number;
  malformed: number;
  rateLimited: number;
  badTokens: number;
  /** announce_peer stored. */
  announcesIn: number;
  /** Queries not sent because too many were in flight. */
  busy: number;
  lookups: number;
}

export interface TrackedTorrent {
  infoHash: Buffer;
  announce?: { port: number; impliedPort: boolean; seed?: boolean };
  dueAt: number;
  /** The lookup running for it, if any. */
  lookupId?: string;
  /** After a lookup that found nobody, the next comes sooner, doubling up to the full interval. */
  retryMs: number;
}

export interface DhtNodeContext {
  openSocket: () => Promise<DhtSocket>;
  clock: Clock;
  rng: () => number;
  self: Buffer;
  bootstrap: PeerContact[];
  savedNodes: NodeContact[];
  enforceNodeId: boolean;
  readOnly: boolean;
  queryTimeoutMs: number;
  lookupOptions: Partial<LookupOptions>;
  intake?: Partial<IntakeOptions>;
  onPeers?: DhtNodeInput['onPeers'];
  socket?: DhtSocket;
  table: RoutingTable;
  store: PeerStore;
  secrets: TokenSecrets;
  transactions: Transactions;
  /** Running lookups by child id. */
  lookups: Map<string, { kind: LookupKind; infoHash?: string }>;
  nextLookup: number;
  tracked: Map<string, TrackedTorrent>;
  counts: DhtCounts;
  error?: string;
}

export const DHT_TIMING = {
  /** Between two lookups of a tracked infohash (libtorrent re-announces every 15 minutes). */
  reannounceMs: 15 * 60_000,
  /** The first retry after a lookup found no peer. */
  firstRetryMs: 30_000,
  maintenanceMs: 60_000,
  bootstrapRetryMs: 30_000,
  queryTimeoutMs: 5000,
};
const MAX_LOOKUPS = 16;
const MAX_PINGS_PER_ROUND = 8;
const CLOSE_TIMEOUT_MS = 2000;

const openSocket = fromPromise<DhtSocket, { open: () => Promise<DhtSocket> }>(async ({ input, signal }) => {
  const socket = await input.open();
  if (signal.aborted) {
    await socket.close();
    throw new Error('stopped while opening');
  }
  return socket;
});
const closeSocket = fromPromise<void, { socket: DhtSocket }>(({ input }) => input.socket.close());

type Ev<T extends DhtNodeEvent['type']> = Extract<DhtNodeEvent, { type: T }>;

export const dhtNodeMachine = setup({
  types: {
    context: {} as DhtNodeContext,
    input: {} as DhtNodeInput,
    events: {} as DhtNodeEvent,
    emitted: {} as DhtNodeEmitted,
  },
  actors: { openSocket, closeSocket, listen: dhtListener, lookup: dhtLookupMachine },
  delays: {
    UNTIL_NEXT_TIMEOUT: ({ context }) => {
      const at = context.transactions.nextDeadline();
      return at === undefined ? DHT_TIMING.maintenanceMs : Math.max(0, at - context.clock.now());
    },
    UNTIL_NEXT_DUE: ({ context }) => {
      // Nobody to ask, or no room for another lookup: `ready` and every lookup's end check again.
      if (context.table.size === 0 || context.lookups.size >= MAX_LOOKUPS) return DHT_TIMING.bootstrapRetryMs;
      let at: number | undefined;
      for (const t of context.tracked.values()) if (t.lookupId === undefined && (at === undefined || t.dueAt < at)) at = t.dueAt;
      return at === undefined ? DHT_TIMING.reannounceMs : Math.max(0, at - context.clock.now());
    },
    MAINTENANCE: DHT_TIMING.maintenanceMs,
    BOOTSTRAP_RETRY: DHT_TIMING.bootstrapRetryMs,
    CLOSE_TIMEOUT: CLOSE_TIMEOUT_MS,
  },
  guards: {
    isBootstrap: (_, done: Ev<'LOOKUP.DONE'>) => done.kind === 'bootstrap',
    tableHasNodes: ({ context }) => context.table.size > 0,
    tableEmpty: ({ context }) => context.table.size === 0,
  },
  actions: {
    answer: enqueueActions(({ context, enqueue }, event: Ev<'DATAGRAM.QUERY'>) => {
      const { from, message } = event;
      context.counts.queriesIn++;
      context.counts.received++;
      const now = context.clock.now();
      // BEP 43: a read-only node is never added; BEP 42: nor one whose id does not fit its address.
      if (!message.readOnly && idAcceptable(context, message.query.id, from.host)) {
        const heard = context.table.heard({ id: message.query.id, host: from.host, port: from.port }, now, false);
        if (heard.ping) sendQuery(context, enqueue, { to: heard.ping, query: { method: 'ping' }, owner: 'node' });
      }
      if (context.readOnly) return;
      const answer = answerQuery(message.query, message.t, from, { self: context.self, table: context.table, store: context.store, secrets: context.secrets, now, k: context.table.options.k });
      if ('refused' in answer && answer.refused === 'bad-token') context.counts.badTokens++;
      if ('announced' in answer && answer.announced) context.counts.announcesIn++;
      send(context, answer.reply, from);
    }),
    answerBadQuery: ({ context }, event: Ev<'DATAGRAM.BAD_QUERY'>) => {
      context.counts.received++;
      if (context.readOnly) return;
      send(context, { y: 'e', t: event.t, code: KRPC_ERROR.protocol, message: event.reason.slice(0, 100) }, event.from);
    },
    /** An answer to one of our queries: the node is alive (table), the lookup that asked hears it. */
    takeReply: enqueueActions(({ context, enqueue }, event: Ev<'DATAGRAM.REPLY'>) => {
      const { from, message } = event;
      context.counts.received++;
      const pending = context.transactions.complete(message.t, from.host, from.port);
      if (!pending) {
        context.counts.unexpected++;
        return;
      }
      context.counts.repliesIn++;
      const now = context.clock.now();
      if (idAcceptable(context, message.response.id, from.host)) context.table.heard({ id: message.response.id, host: from.host, port: from.port }, now, true);
      const lookup = context.lookups.get(pending.owner);
      // Answers to a router by name come from its address: the lookup knows it by the name it asked.
      const asked = { host: pending.host, port: pending.port };
      if (lookup) enqueue.sendTo(pending.owner, { type: 'REPLY', from: asked, method: pending.method, response: message.response });
    }),
    takeErrorReply: enqueueActions(({ context, enqueue }, event: Ev<'DATAGRAM.ERROR'>) => {
      const { from, message } = event;
      context.counts.received++;
      const pending = context.transactions.complete(message.t, from.host, from.port);
      if (!pending) {
        context.counts.unexpected++;
        return;
      }
      context.counts.errorsIn++;
      const lookup = context.lookups.get(pending.owner);
      const asked = { host: pending.host, port: pending.port };
      if (lookup) enqueue.sendTo(pending.owner, { type: 'FAILED', from: asked, method: pending.method, reason: `error ${message.code}: ${message.message}` });
    }),
    expireQueries: enqueueActions(({ context, enqueue }) => {
      const now = context.clock.now();
      for (const pending of context.transactions.expired(now)) {
        context.counts.timeouts++;
        context.table.failed(pending.host, pending.port, now);
        const lookup = context.lookups.get(pending.owner);
        if (lookup) enqueue.sendTo(pending.owner, { type: 'FAILED', from: { host: pending.host, port: pending.port }, method: pending.method, reason: 'timed out' });
      }
    }),
    countDropped: ({ context }, event: Ev<'DROPPED'>) => {
      context.counts.rateLimited += event.rateLimited;
      context.counts.malformed += event.malformed;
    },
    warnSocketError: emit((_, event: Ev<'SOCKET_ERROR'>) => ({ type: 'warning' as const, message: `DHT socket: ${event.message}` })),
    startBootstrap: enqueueActions(({ context, enqueue }) => {
      const seeds = [...context.table.closest(context.self, 16, context.clock.now()), ...context.savedNodes, ...context.bootstrap];
      startLookup(context, enqueue, { kind: 'bootstrap', target: context.self, seeds });
    }),
    forwardLookupQuery: enqueueActions(({ context, enqueue }, request: Ev<'LOOKUP.QUERY'>) => {
      if (!context.lookups.has(request.lookupId)) return;
      // A router given by name: its answer comes from an address we cannot match beforehand.
      const anySource = familyOf(request.to.host) === undefined;
      sendQuery(context, enqueue, { to: request.to, query: request.query, owner: request.lookupId, anySource });
    }),
    deliverPeers: enqueueActions(({ context, enqueue }, found: Ev<'LOOKUP.PEERS'>) => {
      const infoHash = found.target.toString('hex');
      if (!context.tracked.has(infoHash)) return;
      enqueue(() => context.onPeers?.(infoHash, found.peers));
      enqueue.emit({ type: 'peers', infoHash, peers: found.peers });
    }),
    finishLookup: enqueueActions(({ context, enqueue }, done: Ev<'LOOKUP.DONE'>) => {
      const entry = context.lookups.get(done.lookupId);
      if (!entry) return;
      context.lookups.delete(done.lookupId);
      context.transactions.forget(done.lookupId);
      enqueue.stopChild(done.lookupId);
      const torrent = entry.infoHash ? context.tracked.get(entry.infoHash) : undefined;
      if (torrent?.lookupId === done.lookupId) {
        const now = context.clock.now();
        torrent.lookupId = undefined;
        torrent.dueAt = now + (done.peers > 0 ? DHT_TIMING.reannounceMs : torrent.retryMs);
        torrent.retryMs = done.peers > 0 ? DHT_TIMING.firstRetryMs : Math.min(2 * torrent.retryMs, DHT_TIMING.reannounceMs);
      }
      // A slot for another lookup is free.
      enqueue.raise({ type: 'TORRENTS.CHECK' });
      enqueue.emit({
        type: 'lookup-done',
        kind: done.kind,
        target: done.target.toString('hex'),
        queries: done.queries,
        peers: done.peers,
        announcedTo: done.announcedTo,
        answered: done.answered,
      });
    }),
    track: ({ context }, event: Ev<'TRACK'>) => {
      const key = event.infoHash.toString('hex');
      const known = context.tracked.get(key);
      if (known) {
        known.announce = event.announce ?? known.announce;
        return;
      }
      context.tracked.set(key, { infoHash: event.infoHash, announce: event.announce, dueAt: context.clock.now(), retryMs: DHT_TIMING.firstRetryMs });
    },
    untrack: ({ context }, event: Ev<'UNTRACK'>) => {
      context.tracked.delete(event.infoHash);
    },
    /** Lookups for the tracked infohashes that are due, as many as the lookup limit allows. */
    startDueLookups: enqueueActions(({ context, enqueue }) => {
      const now = context.clock.now();
      let running = context.lookups.size;
      for (const [key, torrent] of context.tracked) {
        if (running >= MAX_LOOKUPS) break;
        if (torrent.lookupId !== undefined || torrent.dueAt > now) continue;
        // Nobody to ask yet: due as soon as the table has nodes (`ready` checks again).
        if (context.table.size === 0) continue;
        torrent.lookupId = startLookup(context, enqueue, { kind: torrent.announce ? 'announce' : 'get_peers', target: torrent.infoHash, infoHash: key, announce: torrent.announce });
        running++;
      }
    }),
    /** After a bootstrap: a lookup in every bucket but our own, so the far buckets fill too (as libtorrent does). */
    refreshFarBuckets: enqueueActions(({ context, enqueue }) => {
      const now = context.clock.now();
      let running = context.lookups.size;
      for (const { depth, target } of context.table.staleBuckets(now + context.table.options.staleMs, context.rng)) {
        if (running >= MAX_LOOKUPS / 2 || depth === context.table.bucketCount - 1) break;
        context.table.touchBucket(depth, now);
        startLookup(context, enqueue, { kind: 'refresh', target });
        running++;
      }
    }),
    maintain: enqueueActions(({ context, enqueue }) => {
      const now = context.clock.now();
      context.secrets = rotateSecrets(context.secrets, now, context.rng);
      context.store.expire(now);
      for (const node of context.table.questionable(now, MAX_PINGS_PER_ROUND)) {
        sendQuery(context, enqueue, { to: node, query: { method: 'ping' }, owner: 'node' });
      }
      let running = context.lookups.size;
      for (const { depth, target } of context.table.staleBuckets(now, context.rng)) {
        if (running >= MAX_LOOKUPS / 2) break;
        context.table.touchBucket(depth, now);
        startLookup(context, enqueue, { kind: 'refresh', target });
        running++;
      }
    }),
    pingNode: enqueueActions(({ context, enqueue }, node: PeerContact) => {
      if (node.port === 0 || familyOf(node.host) === undefined || context.table.find(node.host, node.port)) return;
      sendQuery(context, enqueue, { to: node, query: { method: 'ping' }, owner: 'node' });
    }),
    emitReady: emit(({ context }) => ({ type: 'ready' as const, port: context.socket!.port, nodes: context.table.size })),
  },
}).createMachine({
  id: 'dht',
  context: ({ input }) => {
    const now = input.clock.now();
    const self = input.nodeId ?? randomId(input.rng);
    return {
      openSocket: input.openSocket,
      clock: input.clock,
      rng: input.rng,
      self,
      bootstrap: input.bootstrap ?? [],
      savedNodes: input.savedNodes ?? [],
      enforceNodeId: input.enforceNodeId ?? true,
      readOnly: input.readOnly ?? false,
      queryTimeoutMs: input.queryTimeoutMs ?? DHT_TIMING.queryTimeoutMs,
      lookupOptions: input.lookup ?? {},
      intake: input.intake,
      onPeers: input.onPeers,
      table: new RoutingTable(self, now, input.routing),
      store: new PeerStore(input.peerStore),
      secrets: newSecrets(now, input.rng),
      transactions: new Transactions(input.rng),
      lookups: new Map(),
      nextLookup: 1,
      tracked: new Map(),
      counts: { sent: 0, received: 0, queriesIn: 0, repliesIn: 0, errorsIn: 0, timeouts: 0, unexpected: 0, malformed: 0, rateLimited: 0, badTokens: 0, announcesIn: 0, busy: 0, lookups: 0 },
    };
  },
  initial: 'starting',
  states: {
    starting: {
      invoke: {
        src: 'openSocket',
        input: ({ context }) => ({ open: context.openSocket }),
        onDone: { target: 'running', actions: assign({ socket: ({ event }) => event.output }) },
        onError: {
          target: 'failed',
          actions: [assign({ error: ({ event }) => messageOf(event.error) }), emit(({ event }) => ({ type: 'failed' as const, error: messageOf(event.error) }))],
        },
      },
      on: {
        TRACK: { actions: { type: 'track', params: ({ event }) => event } },
        UNTRACK: { actions: { type: 'untrack', params: ({ event }) => event } },
        STOP: 'stopped',
      },
    },
    running: {
      type: 'parallel',
      invoke: { src: 'listen', input: ({ context }) => ({ socket: context.socket!, clock: context.clock, intake: context.intake }) },
      states: {
        routing: {
          initial: 'bootstrapping',
          states: {
            bootstrapping: {
              entry: 'startBootstrap',
              on: {
                'LOOKUP.DONE': [
                  {
                    guard: { type: 'isBootstrap', params: ({ event }) => event },
                    // With an empty table, `ready` passes straight on to `waiting`.
                    target: 'ready',
                    actions: [{ type: 'finishLookup', params: ({ event }) => event }, 'emitReady', 'refreshFarBuckets'],
                  },
                  { actions: { type: 'finishLookup', params: ({ event }) => event } },
                ],
              },
            },
            ready: {
              entry: raise({ type: 'TORRENTS.CHECK' }),
              always: { guard: 'tableEmpty', target: 'waiting' },
              after: { MAINTENANCE: { target: 'ready', reenter: true, actions: 'maintain' } },
            },
            /** Nobody answered: try again later (a node may ping us meanwhile, or a peer name one). */
            waiting: {
              // A node that asked us something is a place to start from.
              always: { guard: 'tableHasNodes', target: 'bootstrapping' },
              after: { BOOTSTRAP_RETRY: 'bootstrapping' },
            },
          },
        },
        transactions: {
          initial: 'watching',
          states: {
            // Re-entered (not the region: that would re-enter every region of `running`) to re-arm the timer.
            watching: {
              after: { UNTIL_NEXT_TIMEOUT: { target: 'watching', reenter: true, actions: 'expireQueries' } },
              on: { 'TIMEOUTS.ARM': { target: 'watching', reenter: true } },
            },
          },
        },
        torrents: {
          initial: 'waiting',
          states: {
            waiting: {
              entry: 'startDueLookups',
              after: { UNTIL_NEXT_DUE: { target: 'waiting', reenter: true } },
              on: { 'TORRENTS.CHECK': { target: 'waiting', reenter: true } },
            },
          },
        },
      },
      on: {
        'DATAGRAM.QUERY': { actions: { type: 'answer', params: ({ event }) => event } },
        'DATAGRAM.BAD_QUERY': { actions: { type: 'answerBadQuery', params: ({ event }) => event } },
        'DATAGRAM.REPLY': { actions: { type: 'takeReply', params: ({ event }) => event } },
        'DATAGRAM.ERROR': { actions: { type: 'takeErrorReply', params: ({ event }) => event } },
        DROPPED: { actions: { type: 'countDropped', params: ({ event }) => event } },
        SOCKET_ERROR: { actions: { type: 'warnSocketError', params: ({ event }) => event } },
        'LOOKUP.QUERY': { actions: { type: 'forwardLookupQuery', params: ({ event }) => event } },
        'LOOKUP.PEERS': { actions: { type: 'deliverPeers', params: ({ event }) => event } },
        'LOOKUP.DONE': { actions: { type: 'finishLookup', params: ({ event }) => event } },
        TRACK: { actions: [{ type: 'track', params: ({ event }) => event }, raise({ type: 'TORRENTS.CHECK' })] },
        UNTRACK: { actions: { type: 'untrack', params: ({ event }) => event } },
        ADD_NODE: { actions: { type: 'pingNode', params: ({ event }) => event } },
        STOP: 'stopping',
      },
    },
    stopping: {
      invoke: { src: 'closeSocket', input: ({ context }) => ({ socket: context.socket! }), onDone: 'stopped', onError: 'stopped' },
      after: { CLOSE_TIMEOUT: 'stopped' },
    },
    failed: { type: 'final' },
    stopped: { type: 'final' },
  },
});

function send(context: DhtNodeContext, message: KrpcMessage, to: PeerContact): void {
  context.counts.sent++;
  context.socket?.send(encodeKrpc(message), to.host, to.port);
}

function idAcceptable(context: DhtNodeContext, id: Buffer, host: string): boolean {
  return !context.enforceNodeId || nodeIdMatchesAddress(id, host);
}

/** What an `enqueueActions` callback gets to queue effects with (typed loosely: the helpers below only send, raise and spawn). */
interface Enqueue {
  (action: () => void): void;
  sendTo(target: string, event: { type: string } & Record<string, unknown>): void;
  raise(event: DhtNodeEvent): void;
  spawnChild(src: 'lookup', options: { id: string; input: DhtLookupInput }): void;
}

/** Our query to a node, with a transaction; refused (the owner told FAILED at once) when too many are out. */
function sendQuery(context: DhtNodeContext, enqueue: Enqueue, request: { to: PeerContact; query: LookupQuery | { method: 'ping' }; owner: string; anySource?: boolean }): void {
  const { transactions, clock } = context;
  const wasIdle = transactions.size === 0;
  const pending = transactions.begin({
    host: request.to.host,
    port: request.to.port,
    method: request.query.method,
    owner: request.owner,
    sentAt: clock.now(),
    timeoutMs: context.queryTimeoutMs,
    anySource: request.anySource,
  });
  if (!pending) {
    context.counts.busy++;
    if (context.lookups.has(request.owner)) enqueue.sendTo(request.owner, { type: 'FAILED', from: request.to, method: request.query.method, reason: 'too many queries in flight' });
    return;
  }
  const query = { ...request.query, id: context.self } as KrpcQuery;
  const message: KrpcMessage = { y: 'q', t: pending.t, query, ...(context.readOnly ? { readOnly: true } : {}) };
  send(context, message, request.to);
  // The time-out timer sleeps while nothing is pending: wake it.
  if (wasIdle) enqueue.raise({ type: 'TIMEOUTS.ARM' });
}

/** Spawns a lookup actor; returns its id. */
function startLookup(
  context: DhtNodeContext,
  enqueue: Enqueue,
  request: { kind: LookupKind; target: Buffer; seeds?: (Omit<NodeContact, 'id'> & { id?: Buffer })[]; infoHash?: string; announce?: TrackedTorrent['announce'] },
): string {
  const id = `lookup-${context.nextLookup++}`;
  const seeds = request.seeds ?? context.table.closest(request.target, 2 * context.table.options.k, context.clock.now());
  enqueue.spawnChild('lookup', {
    id,
    input: {
      id,
      kind: request.kind,
      target: request.target,
      self: context.self,
      seeds: seeds.map(({ id: nodeId, host, port }) => ({ host, port, ...(nodeId ? { id: nodeId } : {}) })),
      options: { k: context.table.options.k, oneNodePerIp: context.table.options.oneNodePerIp, ...context.lookupOptions },
      announce: request.announce,
    },
  });
  context.lookups.set(id, { kind: request.kind, ...(request.infoHash ? { infoHash: request.infoHash } : {}) });
  context.counts.lookups++;
  return id;
}
