import { assign, enqueueActions, setup } from 'xstate';
import { Lookup, type LookupOptions } from '../dht/lookup.js';
import type { KrpcQuery, KrpcResponse, NodeContact, PeerContact } from '../protocol/krpc/index.js';

/*
 * One iterative DHT lookup, an actor of its own so it can be watched (the dashboard, the
 * inspector). It decides whom to ask (src/dht/lookup.ts) and asks its parent, the DHT node, to send
 * each query; the node routes the answers (or the time-outs) back.
 *
 *   searching ──(the k closest answered, or nothing left)──▶ done
 *       └──(kind announce)──▶ announcing (announce_peer with each token) ──▶ done
 *
 * Kinds: `bootstrap` and `refresh` send find_node (the table learns from every answer), `get_peers`
 * collects peers, `announce` also announces us to the k closest nodes that gave a token.
 */

export type LookupKind = 'bootstrap' | 'refresh' | 'get_peers' | 'announce';

export interface DhtLookupInput {
  id: string;
  kind: LookupKind;
  target: Buffer;
  self: Buffer;
  seeds: (Omit<NodeContact, 'id'> & { id?: Buffer })[];
  options?: Partial<LookupOptions>;
  /** For `announce`: the port peers should dial, or the datagram's source port (implied_port). */
  announce?: { port: number; impliedPort: boolean; seed?: boolean };
  timeoutMs?: number;
}

export type DhtLookupEvent =
  | { type: 'REPLY'; from: PeerContact; method: KrpcQuery['method']; response: KrpcResponse }
  | { type: 'FAILED'; from: PeerContact; method: KrpcQuery['method']; reason: string };

/** To the parent (the DHT node). `query` has no `id`: the node puts its own. */
export type DhtLookupRequest =
  | { type: 'LOOKUP.QUERY'; lookupId: string; to: PeerContact; query: LookupQuery }
  | { type: 'LOOKUP.PEERS'; lookupId: string; target: Buffer; peers: PeerContact[] }
  | { type: 'LOOKUP.DONE'; lookupId: string; kind: LookupKind; target: Buffer; queries: number; peers: number; announcedTo: number; answered: number };

export type LookupQuery =
  | { method: 'find_node'; target: Buffer }
  | { method: 'get_peers'; infoHash: Buffer }
  | { method: 'announce_peer'; infoHash: Buffer; port: number; impliedPort: boolean; token: Buffer; seed?: boolean };

export interface DhtLookupContext extends DhtLookupInput {
  lookup: Lookup;
  announcesPending: number;
  announcedTo: number;
}

const DEFAULT_LOOKUP_TIMEOUT_MS = 60_000;

export const dhtLookupMachine = setup({
  types: {
    context: {} as DhtLookupContext,
    input: {} as DhtLookupInput,
    events: {} as DhtLookupEvent,
  },
  delays: {
    LOOKUP_TIMEOUT: ({ context }) => context.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS,
  },
  guards: {
    searchFinished: ({ context }) => context.lookup.finished,
    announces: ({ context }) => context.kind === 'announce' && context.announce !== undefined,
    announcesAnswered: ({ context }) => context.announcesPending === 0,
    isSearchEvent: ({ event }) => event.method !== 'announce_peer',
  },
  actions: {
    askNext: enqueueActions(({ context, enqueue }) => {
      for (const c of context.lookup.next()) {
        const query: LookupQuery =
          context.kind === 'get_peers' || context.kind === 'announce' ? { method: 'get_peers', infoHash: context.target } : { method: 'find_node', target: context.target };
        enqueue.sendParent({ type: 'LOOKUP.QUERY', lookupId: context.id, to: { host: c.host, port: c.port }, query } satisfies DhtLookupRequest);
      }
    }),
    recordReply: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'REPLY') return;
      const fresh = context.lookup.answered(event.from.host, event.from.port, event.response);
      if (fresh.length > 0) enqueue.sendParent({ type: 'LOOKUP.PEERS', lookupId: context.id, target: context.target, peers: fresh } satisfies DhtLookupRequest);
    }),
    recordFailure: ({ context, event }) => context.lookup.failed(event.from.host, event.from.port),
    sendAnnounces: enqueueActions(({ context, enqueue }) => {
      const announce = context.announce!;
      let sent = 0;
      for (const node of context.lookup.closestAnswered()) {
        if (!node.token) continue;
        const query: LookupQuery = { method: 'announce_peer', infoHash: context.target, token: node.token, ...announce };
        enqueue.sendParent({ type: 'LOOKUP.QUERY', lookupId: context.id, to: { host: node.host, port: node.port }, query } satisfies DhtLookupRequest);
        sent++;
      }
      enqueue.assign({ announcesPending: sent });
    }),
    countAnnounceAnswer: assign(({ context, event }) => ({
      announcesPending: Math.max(0, context.announcesPending - 1),
      announcedTo: context.announcedTo + (event.type === 'REPLY' ? 1 : 0),
    })),
    reportDone: enqueueActions(({ context, enqueue }) => {
      const { lookup } = context;
      enqueue.sendParent({
        type: 'LOOKUP.DONE',
        lookupId: context.id,
        kind: context.kind,
        target: context.target,
        queries: lookup.queries,
        peers: lookup.peers.length,
        announcedTo: context.announcedTo,
        answered: lookup.closestAnswered().length,
      } satisfies DhtLookupRequest);
    }),
  },
}).createMachine({
  id: 'dht-lookup',
  context: ({ input }) => ({
    ...input,
    lookup: new Lookup(input.target, input.seeds, input.options, input.self),
    announcesPending: 0,
    announcedTo: 0,
  }),
  initial: 'searching',
  states: {
    searching: {
      entry: 'askNext',
      always: { guard: 'searchFinished', target: 'deciding' },
      on: {
        REPLY: { guard: 'isSearchEvent', actions: ['recordReply', 'askNext'] },
        FAILED: { guard: 'isSearchEvent', actions: ['recordFailure', 'askNext'] },
      },
    },
    /** The search is over: announce, or finish. */
    deciding: {
      always: [{ guard: 'announces', target: 'announcing' }, { target: 'done' }],
    },
    announcing: {
      entry: 'sendAnnounces',
      always: { guard: 'announcesAnswered', target: 'done' },
      on: {
        // A late get_peers answer still brings peers.
        REPLY: [{ guard: 'isSearchEvent', actions: 'recordReply' }, { actions: 'countAnnounceAnswer' }],
        FAILED: [{ guard: 'isSearchEvent' }, { actions: 'countAnnounceAnswer' }],
      },
    },
    done: { type: 'final', entry: 'reportDone' },
  },
  after: { LOOKUP_TIMEOUT: '.done' },
});
