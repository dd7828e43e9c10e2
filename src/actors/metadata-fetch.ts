import { type ActorRefFrom, assign, emit, enqueueActions, fromPromise, setup, stopChild, waitFor } from 'xstate';
import { MetadataAssembly } from '../engine/metadata-assembly.js';
import { type MetadataFetchSignal, metadataFetcher, requestMetadataPiece } from '../engine/metadata-fetcher.js';
import { ExtensionHub } from '../engine/peer-extensions.js';
import type { WireTap } from '../engine/peer-wire.js';
import { DEFAULT_MAX_QUEUED_REQUESTS } from '../engine/upload-engine.js';
import type { Clock } from '../env/clock.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import type { PeerSocket, Transport } from '../env/transport.js';
import type { DialCandidate } from '../policy/dial-book.js';
import { parsePeerAddress } from '../protocol/peer-address.js';
import { VERSION } from '../version.js';
import { type OutgoingEncryption, clientMachine } from './client.js';
import { peerMachine } from './peer.js';
import { type PeerConnection, type WireTapPeer, openPeerConnection } from './peer-connection.js';
import {
  type PeerRegistry,
  admitPeer,
  connectionAdded,
  connectionClosed,
  connectionCount,
  connectionsOf,
  emptyRegistry,
  peerBanned,
} from './peer-registry.js';
import { type TrackerClientEmitted, trackerClientMachine } from './tracker-client.js';

/**
 * Fetches a magnet link's info dictionary from peers (BEP 9) before the torrent can start:
 *
 *   searching ──(a peer offers metadata)──▶ fetching ──(a copy hashes to the infohash)──▶ fetched (final)
 *   any ──STOP──▶ stopping ──▶ stopped
 *
 * It dials peers from the magnet link, `--peer` and the trackers (its own Client and TrackerClient),
 * takes incoming connections for the infohash, and asks the peers that offer metadata for its 16 KiB
 * pieces, a few at a time each. A peer whose pieces do not verify is banned and its connection
 * closed (src/engine/metadata-assembly.ts proves who); the rest carry on. The output is the info
 * dictionary and every peer address learned, which the Session hands to the Torrent it starts.
 */

export const DEFAULT_MAX_METADATA_SIZE = 8 * 1024 * 1024;
/** Requests outstanding per peer, and how long one may stay unanswered before it is asked elsewhere. */
const REQUESTS_PER_PEER = 4;
export const DEFAULT_METADATA_REQUEST_TIMEOUT_MS = 10_000;
const TICK_MS = 1000;
/** Data we did not ask for that a peer may send before it is dropped (a late answer after a timeout is honest). */
const MAX_UNSOLICITED = 8;
/** Requests a peer may leave unanswered before it is no longer asked. */
const MAX_TIMEOUTS = 2;
/** What trackers are told is left while the size is unknown (libtorrent also announces a non-zero `left`). */
const UNKNOWN_LEFT = 16 * 1024;

export interface MetadataFetchInput {
  infoHash: Buffer;
  peerId: Buffer;
  clock: Clock;
  rng: () => number;
  transport: Transport;
  trackerTransport?: TrackerTransport;
  /** BEP 12 tiers from the magnet's `tr`. */
  trackers: string[][];
  listenPort: number;
  localAddress?: string;
  maxPeers?: number;
  handshakeTimeoutMs?: number;
  /** Refuse info dictionaries larger than this (default 8 MiB). */
  maxMetadataSize?: number;
  /** How long a metadata request may stay unanswered (default 10 s). */
  requestTimeoutMs?: number;
  wireTap?: (peer: WireTapPeer) => WireTap | undefined;
  /** Message Stream Encryption of our dials; without it we dial in plaintext. */
  encryption?: Omit<OutgoingEncryption, 'infoHash'>;
  /** Our DHT node's UDP port, told to peers in BEP 5 `port` messages; undefined without a DHT (or for a private torrent). */
  dhtPort?: number;
}

export interface MetadataFetchOutput {
  info: Buffer;
  /** Addresses to dial for the download: the live peers' listen addresses, then every other candidate. */
  peers: { host: string; port: number }[];
}

export type MetadataFetchEvent =
  | MetadataFetchSignal
  | ({ type: 'PEER.CONNECTION' } & PeerConnection)
  | { type: 'PEER.READY'; key: string; remotePeerId: Buffer; fast: boolean; client?: string }
  | { type: 'PEER.CLOSED'; key: string; reason: string }
  | { type: 'ADD_PEERS'; peers: { host: string; port: number }[]; source: string }
  | { type: 'TRACKER.EVENT'; event: TrackerClientEmitted }
  | { type: 'STOP' };

export type MetadataFetchEmitted =
  | { type: 'peer-connected'; address: string; client?: string; direction: 'incoming' | 'outgoing'; source: string }
  | { type: 'peer-closed'; address: string; reason: string }
  /** Pieces of the info dictionary received so far, and the peers offering it. */
  | { type: 'metadata-progress'; received: number; total: number; size: number; peers: number }
  | { type: 'metadata-peer-dropped'; address: string; reason: string }
  | { type: 'metadata-fetched'; size: number }
  | { type: 'tracker'; event: TrackerClientEmitted };

export interface MetadataFetchContext extends MetadataFetchInput {
  maxMetadataSize: number;
  requestTimeoutMs: number;
  registry: PeerRegistry;
  hub: ExtensionHub;
  /**
   * Holds the bytes (never the context itself); replaced when every peer of one size is gone and
   * others offer another. A fixed holder, because the ut_metadata extension reads it too.
   */
  assembly: { current?: MetadataAssembly };
  /** What each ready peer offers (undefined: no metadata). */
  offers: ReadonlyMap<string, number | undefined>;
  unsolicited: ReadonlyMap<string, number>;
  /** Requests each peer left unanswered past the timeout. */
  timeouts: ReadonlyMap<string, number>;
  /** The info dictionary, once verified. */
  info?: Buffer;
  /** Addresses for the download, taken when the metadata verified (before the connections close). */
  handover: { host: string; port: number }[];
  tracker?: ActorRefFrom<typeof trackerClientMachine>;
}

type Ev<T extends MetadataFetchEvent['type']> = Extract<MetadataFetchEvent, { type: T }>;

export const metadataFetchMachine = setup({
  types: {
    input: {} as MetadataFetchInput,
    context: {} as MetadataFetchContext,
    events: {} as MetadataFetchEvent,
    emitted: {} as MetadataFetchEmitted,
    output: {} as MetadataFetchOutput | null,
  },
  actors: {
    peer: peerMachine,
    client: clientMachine,
    tracker: trackerClientMachine,
    /** Gives the tracker a few seconds to hear `stopped`. */
    shutdown: fromPromise<void, { tracker?: ActorRefFrom<typeof trackerClientMachine> }>(async ({ input }) => {
      if (input.tracker) await waitFor(input.tracker, (s) => s.status !== 'active', { timeout: 6000 }).catch(() => undefined);
    }),
  },
  delays: { TICK: TICK_MS },
  guards: {
    roomForPeer: ({ context }) => connectionCount(context.registry) < (context.maxPeers ?? 50),
    noAssembly: ({ context }) => context.assembly.current === undefined,
    verified: ({ context }) => context.info !== undefined,
  },
  actions: {
    startTracker: assign({
      tracker: ({ context, spawn, self }) => {
        if (!context.trackerTransport || context.trackers.length === 0) return undefined;
        const tracker = spawn('tracker', {
          id: 'tracker',
          input: {
            tiers: context.trackers,
            infoHash: context.infoHash,
            peerId: context.peerId,
            port: context.listenPort,
            transport: context.trackerTransport,
            clock: context.clock,
            rng: context.rng,
            stats: () => ({ uploaded: 0, downloaded: 0, left: UNKNOWN_LEFT }),
            onPeers: (peers) => self.send({ type: 'ADD_PEERS', peers, source: 'tracker' }),
          },
        });
        tracker.on('*', (event) => self.send({ type: 'TRACKER.EVENT', event: event as TrackerClientEmitted }));
        return tracker;
      },
    }),
    acceptConnection: assign(({ context, spawn, self }, connection: Ev<'PEER.CONNECTION'>) => {
      const hub = context.hub;
      const { key, address, wire, entry } = openPeerConnection(connection, context);
      const actor = spawn('peer', {
        id: key,
        input: {
          wire,
          direction: connection.direction,
          infoHash: context.infoHash,
          localPeerId: context.peerId,
          remoteHandshake: connection.handshake,
          handshakeTimeoutMs: context.handshakeTimeoutMs,
          localHave: () => ({ all: false }),
          extensionHandshake: () => hub.handshakePayload(address),
          dhtPort: context.dhtPort,
        },
      });
      actor.on('connected', ({ remote, client }) => self.send({ type: 'PEER.READY', key, remotePeerId: remote.peerId, fast: remote.flags.fastExtension, client }));
      actor.on('closed', ({ reason }) => self.send({ type: 'PEER.CLOSED', key, reason }));
      return { registry: connectionAdded(context.registry, { ...entry, actor }) };
    }),
    refuseConnection: (_, socket: PeerSocket) => socket.destroy(),
    registerPeer: enqueueActions(({ context, enqueue }, ready: Ev<'PEER.READY'>) => {
      const admission = admitPeer(context.registry, ready.key, { peerId: ready.remotePeerId, fast: ready.fast, client: ready.client }, context.peerId);
      if (admission.drop) context.registry.entries.get(admission.drop.key)?.actor.send({ type: 'CLOSE', reason: admission.drop.reason });
      if (!admission.admitted) return;
      enqueue.assign({ registry: admission.registry });
      enqueue.sendTo('client', { type: 'PEER_CONNECTED', address: admission.handle.address });
      const entry = admission.registry.entries.get(ready.key)!;
      enqueue.emit({ type: 'peer-connected' as const, address: admission.handle.address, client: ready.client, direction: entry.direction, source: entry.source });
    }),
    forgetPeer: enqueueActions(({ context, enqueue }, closed: Ev<'PEER.CLOSED'>) => {
      const entry = context.registry.entries.get(closed.key);
      if (!entry) return;
      context.assembly.current?.removePeer(closed.key);
      const offers = new Map(context.offers);
      offers.delete(closed.key);
      enqueue.assign({ registry: connectionClosed(context.registry, closed.key), offers });
      const redial = !/ourselves|another torrent|banned/.test(closed.reason);
      enqueue.sendTo('client', { type: 'PEER_CLOSED', address: entry.address, reason: closed.reason, redial });
      enqueue.emit({ type: 'peer-closed' as const, address: entry.address, reason: closed.reason });
    }),
    stopPeerActor: stopChild((_, key: string) => key),
    /** A peer's extension handshake: its offer is recorded; an oversized one closes it. */
    recordOffer: enqueueActions(({ context, enqueue }, offer: Ev<'METADATA.OFFER'>) => {
      const entry = context.registry.entries.get(offer.key);
      if (!entry?.handle) return;
      if (offer.size !== undefined && offer.size > context.maxMetadataSize) {
        const reason = `metadata_size ${offer.size} is over the ${context.maxMetadataSize} byte cap`;
        enqueue.emit({ type: 'metadata-peer-dropped' as const, address: entry.address, reason });
        entry.actor.send({ type: 'CLOSE', reason });
        return;
      }
      enqueue.assign({ offers: new Map(context.offers).set(offer.key, offer.size) });
    }),
    /** The first offer decides the size; when every peer of that size is gone, another offered size is tried. */
    chooseAssembly: ({ context }) => {
      const assembly = context.assembly.current;
      if (assembly && assembly.peerCount > 0) return;
      const sizes = [...context.offers.values()].filter((size): size is number => size !== undefined);
      const size = assembly && sizes.includes(assembly.size) ? assembly.size : sizes[0];
      if (size === undefined) return;
      if (assembly?.size !== size) context.assembly.current = new MetadataAssembly(context.infoHash, size);
    },
    requestPieces: enqueueActions(({ context, enqueue }) => {
      const assembly = context.assembly.current;
      if (!assembly) return;
      for (const [key, offered] of context.offers) {
        const peerId = context.registry.entries.get(key)?.handle?.peerId;
        if (offered === assembly.size && peerId && !assembly.hasPeer(key)) assembly.addPeer({ key, peerId });
      }
      const { requests, timedOut } = assembly.assign(context.clock.now(), REQUESTS_PER_PEER, context.requestTimeoutMs);
      for (const [key, pieces] of requests) {
        const peer = context.hub.peer(key);
        if (peer) for (const piece of pieces) requestMetadataPiece(peer, piece);
        else assembly.removePeer(key);
      }
      if (timedOut.length > 0) {
        const timeouts = new Map(context.timeouts);
        for (const key of timedOut) timeouts.set(key, (timeouts.get(key) ?? 0) + 1);
        const silent = timedOut.filter((key) => timeouts.get(key)! >= MAX_TIMEOUTS);
        for (const key of silent) assembly.removePeer(key);
        enqueue.assign({ timeouts, offers: withoutOffers(context.offers, silent) });
      }
      enqueue.emit({ type: 'metadata-progress' as const, received: assembly.received, total: assembly.pieceCount, size: assembly.size, peers: assembly.peerCount });
    }),
    countUnsolicited: enqueueActions(({ context, enqueue }, piece: Ev<'METADATA.PIECE'>) => {
      if (piece.outcome !== 'unrequested') return;
      const count = (context.unsolicited.get(piece.key) ?? 0) + 1;
      enqueue.assign({ unsolicited: new Map(context.unsolicited).set(piece.key, count) });
      if (count > MAX_UNSOLICITED) context.registry.entries.get(piece.key)?.actor.send({ type: 'CLOSE', reason: 'sent metadata pieces we did not ask for' });
    }),
    /** A peer that refuses every piece we still miss is of no use: let it go so another can take its slot. */
    dropUselessRefuser: enqueueActions(({ context, enqueue }, rejected: Ev<'METADATA.REJECTED'>) => {
      if (!context.assembly.current?.refusesEverything(rejected.key)) return;
      context.assembly.current.removePeer(rejected.key);
      enqueue.assign({ offers: withoutOffers(context.offers, [rejected.key]) });
    }),
    /** Every piece is in: keep the verified copy, or ban whoever the failure proves lied. */
    verifyIfComplete: enqueueActions(({ context, enqueue }) => {
      const assembly = context.assembly.current;
      if (!assembly?.complete) return;
      const verdict = assembly.verify();
      let registry = context.registry;
      for (const liar of verdict.liars) {
        registry = peerBanned(registry, liar.peerId);
        for (const entry of connectionsOf(context.registry, liar.peerId)) {
          const reason = 'sent metadata that does not match the infohash';
          enqueue.emit({ type: 'metadata-peer-dropped' as const, address: entry.address, reason });
          entry.actor.send({ type: 'CLOSE', reason: `banned: ${reason}` });
        }
      }
      enqueue.assign({
        registry,
        offers: withoutOffers(context.offers, verdict.liars.map((liar) => liar.key)),
        info: verdict.ok ? verdict.info : undefined,
      });
    }),
    recordHandover: assign({
      handover: ({ context, self }) => {
        const client = self.getSnapshot().children['client'] as ActorRefFrom<typeof clientMachine> | undefined;
        return handoverPeers(context, client?.getSnapshot().context.book.candidates.values() ?? []);
      },
    }),
    emitTrackerEvent: emit((_, event: TrackerClientEmitted) => ({ type: 'tracker' as const, event })),
    emitFetched: emit(({ context }) => ({ type: 'metadata-fetched' as const, size: context.info!.length })),
    closeAllPeers: ({ context }) => {
      for (const entry of context.registry.entries.values()) entry.actor.send({ type: 'CLOSE', reason: 'stopped' });
    },
    /** The download redials these peers; the trackers hear from the torrent next, so no `stopped` here. */
    handOver: ({ context }) => {
      for (const entry of context.registry.entries.values()) entry.wire.close('metadata fetched: the download takes over');
    },
    stopClientAndTracker: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo('client', { type: 'STOP' });
      if (context.tracker) enqueue.sendTo(context.tracker, { type: 'STOP' });
    }),
  },
}).createMachine({
  id: 'metadataFetch',
  context: ({ input, self }) => {
    const assembly: { current?: MetadataAssembly } = {};
    const hub = new ExtensionHub({
      client: `actorrent ${VERSION}`,
      listenPort: () => input.listenPort,
      requestQueue: DEFAULT_MAX_QUEUED_REQUESTS,
      extensions: [metadataFetcher(() => assembly.current, (signal) => self.send(signal))],
    });
    return {
      ...input,
      maxMetadataSize: input.maxMetadataSize ?? DEFAULT_MAX_METADATA_SIZE,
      requestTimeoutMs: input.requestTimeoutMs ?? DEFAULT_METADATA_REQUEST_TIMEOUT_MS,
      registry: emptyRegistry,
      hub,
      assembly,
      offers: new Map(),
      handover: [],
      unsolicited: new Map(),
      timeouts: new Map(),
    };
  },
  invoke: {
    id: 'client',
    src: 'client',
    input: ({ context, self }) => ({
      transport: context.transport,
      clock: context.clock,
      maxPeers: context.maxPeers,
      localAddress: context.localAddress,
      encryption: context.encryption && { ...context.encryption, infoHash: context.infoHash },
      onConnected: (socket: PeerSocket, _address: string, source: string) => self.send({ type: 'PEER.CONNECTION', socket, direction: 'outgoing', source }),
    }),
  },
  initial: 'searching',
  entry: 'startTracker',
  states: {
    searching: {
      on: {
        'METADATA.OFFER': {
          target: 'fetching',
          actions: [{ type: 'recordOffer', params: ({ event }) => event }, 'chooseAssembly'],
        },
      },
    },
    fetching: {
      always: { guard: 'noAssembly', target: 'searching' },
      entry: 'requestPieces',
      on: {
        'METADATA.OFFER': { actions: [{ type: 'recordOffer', params: ({ event }) => event }, 'chooseAssembly', 'requestPieces'] },
        'METADATA.PIECE': [
          {
            actions: [{ type: 'countUnsolicited', params: ({ event }) => event }, 'verifyIfComplete'],
            target: 'checkingCopy',
          },
        ],
        'METADATA.REJECTED': { actions: [{ type: 'dropUselessRefuser', params: ({ event }) => event }, 'chooseAssembly', 'requestPieces'] },
        'PEER.CLOSED': {
          actions: [
            { type: 'forgetPeer', params: ({ event }) => event },
            { type: 'stopPeerActor', params: ({ event }) => event.key },
            'chooseAssembly',
            'requestPieces',
          ],
        },
      },
      after: { TICK: { target: 'fetching', reenter: true, actions: 'chooseAssembly' } },
    },
    checkingCopy: {
      always: [{ guard: 'verified', target: 'fetched' }, { target: 'fetching', actions: 'chooseAssembly' }],
    },
    fetched: {
      type: 'final',
      entry: ['recordHandover', 'handOver', 'emitFetched'],
    },
    stopping: {
      entry: ['closeAllPeers', 'stopClientAndTracker'],
      invoke: { src: 'shutdown', input: ({ context }) => ({ tracker: context.tracker }), onDone: 'stopped', onError: 'stopped' },
    },
    stopped: { type: 'final' },
  },
  on: {
    'PEER.CONNECTION': [
      { guard: 'roomForPeer', actions: { type: 'acceptConnection', params: ({ event }) => event } },
      { actions: { type: 'refuseConnection', params: ({ event }) => event.socket } },
    ],
    'PEER.READY': { actions: { type: 'registerPeer', params: ({ event }) => event } },
    'METADATA.OFFER': { actions: { type: 'recordOffer', params: ({ event }) => event } },
    'PEER.CLOSED': {
      actions: [{ type: 'forgetPeer', params: ({ event }) => event }, { type: 'stopPeerActor', params: ({ event }) => event.key }],
    },
    ADD_PEERS: { actions: enqueueActions(({ enqueue, event }) => enqueue.sendTo('client', { type: 'ADD_PEERS', peers: event.peers, source: event.source })) },
    'TRACKER.EVENT': { actions: { type: 'emitTrackerEvent', params: ({ event }) => event.event } },
    STOP: { target: '.stopping' },
  },
  output: ({ context }) => (context.info ? { info: context.info, peers: context.handover } : null),
});

/** How many addresses are handed to the download (the live peers come first). */
const MAX_HANDOVER = 200;

/** The live peers' listen addresses, then the Client's other candidates that have not failed for good. */
function handoverPeers(context: MetadataFetchContext, candidates: Iterable<DialCandidate>): { host: string; port: number }[] {
  const peers = new Map(knownPeers(context).map((peer) => [`${peer.host}:${peer.port}`, peer]));
  for (const candidate of candidates) {
    if (peers.size >= MAX_HANDOVER) break;
    if (!candidate.gaveUp) peers.set(`${candidate.host}:${candidate.port}`, { host: candidate.host, port: candidate.port });
  }
  return [...peers.values()].slice(0, MAX_HANDOVER);
}


/** Offers without these peers: they are not asked again (banned, silent, or refusing everything). */
function withoutOffers(offers: ReadonlyMap<string, number | undefined>, keys: readonly string[]): ReadonlyMap<string, number | undefined> {
  if (!keys.some((key) => offers.has(key))) return offers;
  const rest = new Map(offers);
  for (const key of keys) rest.delete(key);
  return rest;
}

/** Listen addresses of the live peers (incoming ones by their `p`), for the download to dial; never a banned one. */
function knownPeers(context: MetadataFetchContext): { host: string; port: number }[] {
  const peers = new Map<string, { host: string; port: number }>();
  for (const entry of context.registry.entries.values()) {
    if (entry.handle && context.registry.banned.has(entry.handle.peerId)) continue;
    const parsed = parsePeerAddress(entry.address);
    if (!parsed) continue;
    if (entry.direction === 'outgoing') peers.set(parsed.key, { host: parsed.host, port: parsed.port });
    else {
      const port = context.hub.remote(entry.key)?.listenPort;
      const listening = port ? parsePeerAddress(`${parsed.key.startsWith('[') ? `[${parsed.host}]` : parsed.host}:${port}`) : undefined;
      if (listening) peers.set(listening.key, { host: listening.host, port: listening.port });
    }
  }
  return [...peers.values()];
}

export type MetadataFetchActor = ActorRefFrom<typeof metadataFetchMachine>;

/** For MetadataFetchHandle: where the fetch stands. */
export function metadataFetchProgress(actor: MetadataFetchActor): {
  state: 'searching' | 'fetching' | 'fetched' | 'stopped';
  peers: number;
  offering: number;
  received: number;
  total: number;
} {
  const snapshot = actor.getSnapshot();
  const { registry, assembly, offers } = snapshot.context;
  const state = snapshot.matches('searching')
    ? 'searching'
    : snapshot.matches('fetching') || snapshot.matches('checkingCopy')
      ? 'fetching'
      : snapshot.matches('fetched')
        ? 'fetched'
        : 'stopped';
  return {
    state,
    peers: registry.entries.size,
    offering: [...offers.values()].filter((size) => size !== undefined).length,
    received: assembly.current?.received ?? 0,
    total: assembly.current?.pieceCount ?? 0,
  };
}
