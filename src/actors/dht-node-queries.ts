import { type ActorRefFrom, waitFor } from 'xstate';
import type { NodeContact } from '../protocol/krpc/index.js';
import type { DhtCounts, dhtNodeMachine } from './dht-node.js';

/** Read views of a DhtNode for MainlineDht (nothing outside src/actors reads a machine's context). */

type DhtNodeActor = ActorRefFrom<typeof dhtNodeMachine>;

export interface DhtStats {
  state: 'starting' | 'bootstrapping' | 'ready' | 'waiting' | 'stopped' | 'failed';
  port: number;
  nodeId: string;
  nodes: number;
  buckets: number;
  goodNodes: number;
  torrentsStored: number;
  peersStored: number;
  tracked: number;
  lookupsRunning: number;
  /** Our queries waiting for an answer (at most 256). */
  queriesInFlight: number;
  counts: DhtCounts;
}

/** Resolves with the UDP port once the socket is open; rejects with why when it cannot be. */
export async function dhtOpened(actor: DhtNodeActor): Promise<number> {
  const snapshot = await waitFor(actor, (s) => s.context.socket !== undefined || s.status !== 'active', { timeout: 10_000 });
  if (!snapshot.context.socket) throw new Error(snapshot.context.error ?? 'the DHT could not start');
  return snapshot.context.socket.port;
}

export function dhtNodeId(actor: DhtNodeActor): Buffer {
  return actor.getSnapshot().context.self;
}

/** The routing table's nodes, to save and pass back as `savedNodes` next time. */
export function dhtNodes(actor: DhtNodeActor): NodeContact[] {
  return actor
    .getSnapshot()
    .context.table.all()
    .map(({ id, host, port }) => ({ id, host, port }));
}

export function dhtStats(actor: DhtNodeActor, now: number): DhtStats {
  const snapshot = actor.getSnapshot();
  const c = snapshot.context;
  const buckets = c.table.describe(now);
  const state =
    snapshot.status !== 'active'
      ? snapshot.matches('failed')
        ? 'failed'
        : 'stopped'
      : snapshot.matches('starting')
        ? 'starting'
        : snapshot.matches({ running: { routing: 'ready' } })
          ? 'ready'
          : snapshot.matches({ running: { routing: 'waiting' } })
            ? 'waiting'
            : snapshot.matches('running')
              ? 'bootstrapping'
              : 'stopped';
  return {
    state,
    port: c.socket?.port ?? 0,
    nodeId: c.self.toString('hex'),
    nodes: c.table.size,
    buckets: buckets.length,
    goodNodes: buckets.reduce((n, b) => n + b.good, 0),
    torrentsStored: c.store.torrentCount,
    peersStored: c.store.peerCount,
    tracked: c.tracked.size,
    lookupsRunning: c.lookups.size,
    queriesInFlight: c.transactions.size,
    counts: { ...c.counts },
  };
}
