import { assign, setup, stateIn } from 'xstate';
import type { PeerHandle } from '../engine/peer-handle.js';
import type { UploadEngine } from '../engine/upload-engine.js';
import { type PeerStats, rechoke } from '../policy/choker.js';

/**
 * The Uploader: runs the choking algorithm every 10 s (tit for tat while leeching, best upload
 * rates while seeding, one optimistic unchoke rotated every 30 s to the peer that waited longest,
 * snubbed peers demoted) and tells the UploadEngine whom to serve. A peer that becomes interested
 * between rounds gets a free slot at once rather than waiting up to 10 s. Paused, every peer is
 * choked (with BEP 6, what they had queued is rejected) until RESUME, which rechokes at once.
 *
 *   mode:     leeching ──SEEDING──▶ seeding ──LEECHING──▶ leeching   (a new file selection wants more)
 *   activity: running (alone ⇄ rechoking) ⇄ paused
 *
 * With no peer there is nothing to choke: `alone` has no timer, so an idle torrent (a daemon's
 * hundreds of seeds) costs no transition every 10 s. The rounds keep the times they had (every 10 s
 * from when `running` was entered) and their count, as if the ones with nobody had run.
 */

export interface UploaderInput {
  engine: UploadEngine;
  clock: { now(): number };
  rng: () => number;
  /** Per-peer numbers the choker needs beyond the flags. */
  peerStats: (peer: PeerHandle) => { downloadRate: number; uploadRate: number; lastBlockReceivedAt?: number };
  slots?: number;
  rechokeIntervalMs?: number;
}

export type UploaderEvent =
  | { type: 'PEER_ADDED'; peer: PeerHandle }
  | { type: 'PEER_REMOVED'; key: string }
  | { type: 'PEER_INTERESTED'; key: string }
  | { type: 'SEEDING' }
  | { type: 'LEECHING' }
  | { type: 'RECHOKE' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' };

export interface UploaderContext extends UploaderInput {
  round: number;
  /** When `running` was last entered: rounds fall every interval from then. */
  anchor: number;
  /** When the last peer left (rounds skipped since are counted when one comes). */
  aloneSince: number;
  optimistic?: string;
  unchokedSince: ReadonlyMap<string, number>;
  /** When each choked peer was last choked (or added): the optimistic slot goes to who waited longest. */
  chokedSince: ReadonlyMap<string, number>;
}

const seedingMode = stateIn({ mode: 'seeding' });
const intervalOf = (context: UploaderContext) => context.rechokeIntervalMs ?? 10_000;

export const uploaderMachine = setup({
  types: {
    input: {} as UploaderInput,
    context: {} as UploaderContext,
    events: {} as UploaderEvent,
  },
  delays: {
    /** Until the next round on the grid that starts at `anchor`. */
    RECHOKE_INTERVAL: ({ context }) => {
      const interval = intervalOf(context);
      return interval - ((context.clock.now() - context.anchor) % interval);
    },
  },
  guards: {
    freeSlot: ({ context }) => context.engine.handles().filter((p) => !p.control.amChoking).length < (context.slots ?? 4) + 1,
    seeding: seedingMode,
    hasPeers: ({ context }) => context.engine.handles().length > 0,
    noPeers: ({ context }) => context.engine.handles().length === 0,
  },
  actions: {
    addPeer: assign(({ context }, peer: PeerHandle) => {
      context.engine.addPeer(peer);
      return { chokedSince: withEntry(context.chokedSince, peer.key, context.clock.now()) };
    }),
    removePeer: assign(({ context }, key: string) => {
      context.engine.removePeer(key);
      return { unchokedSince: without(context.unchokedSince, key), chokedSince: without(context.chokedSince, key) };
    }),
    unchokeNewcomer: assign(({ context }, key: string) => {
      context.engine.setChoking(key, false);
      return { unchokedSince: withEntry(context.unchokedSince, key, context.clock.now()), chokedSince: without(context.chokedSince, key) };
    }),
    rechoke: assign(({ context }, params: { seeding: boolean }) => {
      const now = context.clock.now();
      const peers = context.engine.handles();
      const stats: PeerStats[] = peers
        .filter((p) => !p.wire.closed)
        .map((p) => ({
          id: p.key,
          interested: p.control.peerInterested,
          amInterested: p.control.amInterested,
          unchokedSince: context.unchokedSince.get(p.key),
          chokedSince: context.chokedSince.get(p.key),
          ...context.peerStats(p),
        }));
      const result = rechoke(stats, {
        seeding: params.seeding,
        now,
        round: context.round,
        rng: context.rng,
        slots: context.slots,
        previousOptimistic: context.optimistic,
      });
      const unchoke = new Set(result.unchoked);
      return { round: context.round + 1, optimistic: result.optimistic, ...applyChoking(context, peers, (key) => !unchoke.has(key), now) };
    }),
    anchorRounds: assign(({ context }) => ({ anchor: context.clock.now() })),
    markAlone: assign(({ context }) => ({ aloneSince: context.clock.now() })),
    /** The rounds that fell while nobody was there count, so the optimistic unchoke keeps its rhythm. */
    countSkippedRounds: assign(({ context }) => {
      const interval = intervalOf(context);
      const passed = (t: number) => Math.floor((t - context.anchor) / interval);
      return { round: context.round + passed(context.clock.now()) - passed(context.aloneSince) };
    }),
    chokeAll: assign(({ context }) => ({ ...applyChoking(context, context.engine.handles(), () => true, context.clock.now()) })),
  },
}).createMachine({
  id: 'uploader',
  context: ({ input }) => ({ ...input, round: 0, anchor: input.clock.now(), aloneSince: input.clock.now(), unchokedSince: new Map(), chokedSince: new Map() }),
  type: 'parallel',
  on: {
    PEER_ADDED: { actions: { type: 'addPeer', params: ({ event }) => event.peer } },
    PEER_REMOVED: { actions: { type: 'removePeer', params: ({ event }) => event.key } },
  },
  states: {
    mode: {
      initial: 'leeching',
      states: {
        leeching: { on: { SEEDING: 'seeding' } },
        seeding: { on: { LEECHING: 'leeching' } },
      },
    },
    activity: {
      initial: 'running',
      states: {
        running: {
          entry: 'anchorRounds',
          initial: 'alone',
          states: {
            /** No peers: no rounds until one comes. */
            alone: { entry: 'markAlone', always: { guard: 'hasPeers', target: 'rechoking', actions: 'countSkippedRounds' } },
            rechoking: {
              always: { guard: 'noPeers', target: 'alone' },
              after: {
                RECHOKE_INTERVAL: [
                  { guard: 'seeding', target: 'rechoking', reenter: true, actions: { type: 'rechoke', params: { seeding: true } } },
                  { target: 'rechoking', reenter: true, actions: { type: 'rechoke', params: { seeding: false } } },
                ],
              },
            },
          },
          on: {
            PEER_INTERESTED: { guard: 'freeSlot', actions: { type: 'unchokeNewcomer', params: ({ event }) => event.key } },
            // The `mode` region moves to seeding on the same event; this round already uses the seeding rules, and the next is a full interval away.
            SEEDING: { target: 'running', reenter: true, actions: { type: 'rechoke', params: { seeding: true } } },
            RECHOKE: [
              { guard: 'seeding', actions: { type: 'rechoke', params: { seeding: true } } },
              { actions: { type: 'rechoke', params: { seeding: false } } },
            ],
            PAUSE: { target: 'paused', actions: 'chokeAll' },
          },
        },
        paused: {
          on: {
            RESUME: [
              { guard: 'seeding', target: 'running', actions: { type: 'rechoke', params: { seeding: true } } },
              { target: 'running', actions: { type: 'rechoke', params: { seeding: false } } },
            ],
          },
        },
      },
    },
  },
});

/** Chokes (choke(key) true) or unchokes every peer, and the times since which each has been so. */
function applyChoking(
  context: UploaderContext,
  peers: readonly PeerHandle[],
  choke: (key: string) => boolean,
  now: number,
): Pick<UploaderContext, 'unchokedSince' | 'chokedSince'> {
  const unchokedSince = new Map(context.unchokedSince);
  const chokedSince = new Map(context.chokedSince);
  for (const peer of peers) {
    const key = peer.key;
    if (choke(key)) {
      context.engine.setChoking(key, true);
      if (unchokedSince.delete(key) || !chokedSince.has(key)) chokedSince.set(key, now);
    } else {
      context.engine.setChoking(key, false);
      chokedSince.delete(key);
      if (!unchokedSince.has(key)) unchokedSince.set(key, now);
    }
  }
  return { unchokedSince, chokedSince };
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  return new Map(map).set(key, value);
}

function without<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}
