import { assign, setup } from 'xstate';
import type { PeerHandle } from '../engine/peer-handle.js';
import { peerIsInterested, weAreChoking, weAreInterested } from '../engine/peer-handle.js';
import type { UploadEngine } from '../engine/upload-engine.js';
import { type PeerStats, rechoke } from '../policy/choker.js';

/**
 * The Uploader: runs the choking algorithm every 10 s (tit for tat while leeching, best upload
 * rates while seeding, one optimistic unchoke rotated every 30 s to the peer that waited longest,
 * snubbed peers demoted) and tells the UploadEngine whom to serve. A peer that becomes interested between rounds gets a free slot
 * at once rather than waiting up to 10 s.
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
  | { type: 'RECHOKE' };

export interface UploaderContext extends UploaderInput {
  peers: Map<string, PeerHandle>;
  round: number;
  optimistic?: string;
  unchokedSince: Map<string, number>;
  /** When each choked peer was last choked (or added): the optimistic slot goes to who waited longest. */
  chokedSince: Map<string, number>;
}

export const uploaderMachine = setup({
  types: {
    input: {} as UploaderInput,
    context: {} as UploaderContext,
    events: {} as UploaderEvent,
  },
  delays: { RECHOKE_INTERVAL: ({ context }) => context.rechokeIntervalMs ?? 10_000 },
  guards: {
    freeSlot: ({ context }) => [...context.peers.values()].filter((p) => !weAreChoking(p)).length < (context.slots ?? 4) + 1,
  },
  actions: {
    addPeer: ({ context, event }) => {
      if (event.type !== 'PEER_ADDED') return;
      context.peers.set(event.peer.key, event.peer);
      context.chokedSince.set(event.peer.key, context.clock.now());
      context.engine.addPeer(event.peer);
    },
    removePeer: ({ context, event }) => {
      if (event.type !== 'PEER_REMOVED') return;
      context.peers.delete(event.key);
      context.unchokedSince.delete(event.key);
      context.chokedSince.delete(event.key);
      context.engine.removePeer(event.key);
    },
    unchokeNewcomer: ({ context, event }) => {
      if (event.type !== 'PEER_INTERESTED') return;
      context.engine.setChoking(event.key, false);
      context.unchokedSince.set(event.key, context.clock.now());
      context.chokedSince.delete(event.key);
    },
    rechoke: assign(({ context }, params: { seeding: boolean }) => {
      const now = context.clock.now();
      const stats: PeerStats[] = [...context.peers.values()]
        .filter((p) => !p.wire.closed)
        .map((p) => ({
          id: p.key,
          interested: peerIsInterested(p),
          amInterested: weAreInterested(p),
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
      for (const peer of context.peers.values()) {
        const choke = !unchoke.has(peer.key);
        context.engine.setChoking(peer.key, choke);
        if (choke) {
          if (context.unchokedSince.delete(peer.key) || !context.chokedSince.has(peer.key)) context.chokedSince.set(peer.key, now);
        } else {
          context.chokedSince.delete(peer.key);
          if (!context.unchokedSince.has(peer.key)) context.unchokedSince.set(peer.key, now);
        }
      }
      return { round: context.round + 1, optimistic: result.optimistic };
    }),
  },
}).createMachine({
  id: 'uploader',
  context: ({ input }) => ({ ...input, peers: new Map(), round: 0, unchokedSince: new Map(), chokedSince: new Map() }),
  initial: 'leeching',
  on: {
    PEER_ADDED: { actions: 'addPeer' },
    PEER_REMOVED: { actions: 'removePeer' },
    PEER_INTERESTED: { guard: 'freeSlot', actions: 'unchokeNewcomer' },
  },
  states: {
    leeching: {
      after: { RECHOKE_INTERVAL: { target: 'leeching', reenter: true, actions: { type: 'rechoke', params: { seeding: false } } } },
      on: {
        SEEDING: { target: 'seeding', actions: { type: 'rechoke', params: { seeding: true } } },
        RECHOKE: { actions: { type: 'rechoke', params: { seeding: false } } },
      },
    },
    seeding: {
      after: { RECHOKE_INTERVAL: { target: 'seeding', reenter: true, actions: { type: 'rechoke', params: { seeding: true } } } },
      on: { RECHOKE: { actions: { type: 'rechoke', params: { seeding: true } } } },
    },
  },
});
