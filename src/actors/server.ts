import { type ActorRefFrom, assign, emit, enqueueActions, fromPromise, setup, waitFor } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { Listener, PeerSocket, Transport } from '../env/transport.js';
import type { Handshake } from '../protocol/wire/index.js';
import { type PendingConnection, admitIncoming } from '../policy/incoming-admission.js';
import { type HandshakeReaderEvent, type IncomingEncryption, startHandshakeReader } from './handshake-reader.js';
import { describeListenError } from './listen-error.js';
import type { EncryptionMode } from '../policy/encryption.js';
import { type RandomBytes, createSkeyLookup } from '../protocol/mse/index.js';
import { messageOf } from '../util/message-of.js';
import { socketAddress } from '../util/socket-address.js';

/**
 * The Server actor (one per session, systemId 'server'): listens, reads the handshake of each
 * incoming connection, and hands the socket to the torrent its infohash names. It enforces the
 * session-wide limit on incoming connections (those still handshaking plus those handed over and
 * not yet reported closed, CONNECTION_CLOSED) without letting idle sockets lock out honest peers:
 * at the limit, the connection that has waited longest without a handshake is evicted to make room,
 * and one address may hold only a few connections that have not handshaken
 * (src/policy/incoming-admission.ts).
 *
 *   starting ──listen ok──▶ listening ──STOP──▶ stopping ──closed──▶ stopped
 *      └──listen failed──▶ failed
 */

/** Takes over a routed connection. Must attach its own 'error' listener before returning. */
export type IncomingHandler = (socket: PeerSocket, handshake: Handshake, rest: Buffer) => void;

export interface ServerInput {
  transport: Transport;
  clock: Clock;
  /** Default: every address. */
  host?: string;
  /** 0 picks any free port. */
  port: number;
  maxConnections?: number;
  /** Connections from one address that have not completed their handshake. Default 8. */
  maxPendingPerAddress?: number;
  handshakeTimeoutMs?: number;
  /** The torrent that serves an infohash, or undefined when we do not have it. */
  route: (infoHash: Buffer) => IncomingHandler | undefined;
  /**
   * Message Stream Encryption on the listening port: plaintext and encrypted handshakes are told
   * apart by their first bytes; an encrypted one names its torrent by a hash of one of `infoHashes`.
   * Absent: plaintext only (as mode `disable`).
   */
  encryption?: { mode: EncryptionMode; randomBytes: RandomBytes; infoHashes: () => Iterable<string> };
}

export interface ServerCounts {
  /** Handed over to a torrent. */
  accepted: number;
  /** Dropped for any reason, including the limit. */
  rejected: number;
  /** Of the rejected: dropped at once because a limit was reached (the connection limit, or its address's). */
  overLimit: number;
  /** Waiting for their handshake when a newcomer needed their place: dropped to make room. */
  evicted: number;
}

export interface ServerContext {
  transport: Transport;
  clock: Clock;
  host?: string;
  requestedPort: number;
  maxConnections: number;
  maxPendingPerAddress: number;
  handshakeTimeoutMs: number;
  route: ServerInput['route'];
  encryption?: IncomingEncryption;
  listener?: Listener;
  /** The port actually bound (differs from requestedPort when that is 0). */
  port?: number;
  address?: string;
  /** The handshake readers running, oldest first, each with the function that gives it up (destroying its socket). */
  handshaking: readonly (PendingConnection & { address: string; stop: () => void })[];
  /** `address:port` of the connections handed over and not yet reported closed. */
  live: readonly string[];
  nextReaderId: number;
  counts: ServerCounts;
  error?: string;
}

export type ServerEvent =
  | { type: 'CONNECTION'; socket: PeerSocket }
  | { type: 'CONNECTION_CLOSED'; address: string }
  | { type: 'HANDLER_FAILED'; address: string; error: string }
  | { type: 'STOP' }
  | HandshakeReaderEvent;

export type ServerEmitted =
  | { type: 'listening'; address: string; port: number }
  | { type: 'accepted'; address: string; infoHash: string }
  | { type: 'rejected'; address: string; reason: string }
  /** Dropped before its handshake to make room for a newcomer. */
  | { type: 'evicted'; address: string; reason: string }
  | { type: 'failed'; error: string };

export interface ServerOutput {
  port?: number;
  error?: string;
}

interface ListenInput {
  transport: Transport;
  host?: string;
  port: number;
  onConnection: (socket: PeerSocket) => void;
}

const listen = fromPromise<Listener, ListenInput>(async ({ input, signal }) => {
  const listener = await input.transport.listen({ host: input.host, port: input.port }, input.onConnection);
  // STOP arrived while we were binding: do not leak the listener.
  if (signal.aborted) {
    await listener.close();
    throw new Error('stopped while starting');
  }
  signal.addEventListener('abort', () => void listener.close(), { once: true });
  return listener;
});

const closeListener = fromPromise<void, { listener?: Listener }>(async ({ input }) => {
  await input.listener?.close();
});

type ReadEvent = Extract<ServerEvent, { type: 'HANDSHAKE.READ' }>;

export const serverMachine = setup({
  types: {
    context: {} as ServerContext,
    input: {} as ServerInput,
    events: {} as ServerEvent,
    emitted: {} as ServerEmitted,
    output: {} as ServerOutput,
  },
  actors: { listen, closeListener },
  actions: {
    recordListener: assign(({ event }) => {
      const listener = (event as unknown as { output: Listener }).output;
      return { listener, port: listener.port, address: listener.address };
    }),
    emitListening: emit(({ context }) => ({
      type: 'listening' as const,
      address: context.address ?? '',
      port: context.port ?? 0,
    })),
    recordListenError: assign({
      error: ({ context, event }) =>
        describeListenError((event as unknown as { error: unknown }).error, context.host, context.requestedPort),
    }),
    emitFailed: emit(({ context }) => ({ type: 'failed' as const, error: context.error ?? 'failed' })),

    /** Reads the newcomer (evicting the oldest pending connection if that is what makes room), or refuses it. */
    admitConnection: enqueueActions(({ context, enqueue, self }, socket: PeerSocket) => {
      const address = socketAddress(socket);
      const host = socket.remoteAddress ?? '?';
      const decision = admitIncoming(context.handshaking, context.live.length, host, {
        maxConnections: context.maxConnections,
        maxPendingPerAddress: context.maxPendingPerAddress,
      });
      if (!decision.admit) {
        enqueue(() => socket.destroy());
        enqueue.assign({ counts: { ...context.counts, rejected: context.counts.rejected + 1, overLimit: context.counts.overLimit + 1 } });
        enqueue.emit({ type: 'rejected', address, reason: decision.reason });
        return;
      }
      let handshaking = context.handshaking;
      let counts = context.counts;
      const victim = decision.evict && handshaking.find((p) => p.id === decision.evict!.id);
      if (victim) {
        enqueue(() => victim.stop());
        handshaking = handshaking.filter((p) => p !== victim);
        counts = { ...counts, evicted: counts.evicted + 1 };
        enqueue.emit({ type: 'evicted', address: victim.address, reason: decision.evict!.reason });
      }
      // A plain reader, not a spawned actor: a flood brings hundreds of these a second, and spawning
      // cost ~150 µs each. The entry holds the reader's stop function once the effect has started it.
      const reader: ServerContext['handshaking'][number] = { id: `handshake-${context.nextReaderId}`, host, address, stop: () => void socket.destroy() };
      enqueue(() => {
        reader.stop = startHandshakeReader(
          { id: reader.id, socket, address, clock: context.clock, timeoutMs: context.handshakeTimeoutMs, encryption: context.encryption },
          (event) => self.send(event),
        );
      });
      enqueue.assign({ nextReaderId: context.nextReaderId + 1, handshaking: [...handshaking, reader], counts });
    }),
    dropFailedHandshake: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'HANDSHAKE.FAILED') return;
      enqueue.assign({
        handshaking: context.handshaking.filter((p) => p.id !== event.id),
        counts: { ...context.counts, rejected: context.counts.rejected + 1 },
      });
      enqueue.emit({ type: 'rejected', address: event.address, reason: event.reason });
    }),
    routeConnection: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'HANDSHAKE.READ') return;
      const { socket, address, handshake, rest } = event as ReadEvent;
      const handshaking = context.handshaking.filter((p) => p.id !== event.id);
      const infoHash = handshake.infoHash.toString('hex');
      let handler: IncomingHandler | undefined;
      try {
        handler = context.route(handshake.infoHash);
      } catch {
        handler = undefined;
      }
      if (!handler) {
        enqueue(() => socket.destroy());
        enqueue.assign({ handshaking, counts: { ...context.counts, rejected: context.counts.rejected + 1 } });
        enqueue.emit({ type: 'rejected', address, reason: `unknown infohash ${infoHash}` });
        return;
      }
      const handOver = handler;
      enqueue.assign({
        handshaking,
        live: [...context.live, address],
        counts: { ...context.counts, accepted: context.counts.accepted + 1 },
      });
      enqueue.emit({ type: 'accepted', address, infoHash });
      // A handler that throws is a bug elsewhere: drop that connection, keep the server alive.
      enqueue(() => {
        try {
          handOver(socket, handshake, rest);
        } catch (err) {
          socket.destroy();
          self.send({ type: 'HANDLER_FAILED', address, error: messageOf(err) });
        }
      });
    }),
    forgetConnection: assign({
      live: ({ context, event }) => {
        if (event.type !== 'CONNECTION_CLOSED' && event.type !== 'HANDLER_FAILED') return context.live;
        const at = context.live.indexOf(event.address);
        return at === -1 ? context.live : context.live.filter((_, i) => i !== at);
      },
    }),
    emitHandlerFailed: emit(({ event }) => {
      const e = event as Extract<ServerEvent, { type: 'HANDLER_FAILED' }>;
      return { type: 'rejected' as const, address: e.address, reason: `handler failed: ${e.error}` };
    }),
    abortHandshakes: enqueueActions(({ context, enqueue }) => {
      const readers = context.handshaking;
      enqueue(() => readers.forEach((reader) => reader.stop()));
      enqueue.assign({ handshaking: [] });
    }),
    destroySocket: ({ event }) => {
      if (event.type === 'CONNECTION' || event.type === 'HANDSHAKE.READ') event.socket.destroy();
    },
  },
}).createMachine({
  id: 'server',
  context: ({ input }) => ({
    transport: input.transport,
    clock: input.clock,
    host: input.host,
    requestedPort: input.port,
    maxConnections: input.maxConnections ?? 200,
    maxPendingPerAddress: input.maxPendingPerAddress ?? 8,
    handshakeTimeoutMs: input.handshakeTimeoutMs ?? 10_000,
    route: input.route,
    encryption: input.encryption && {
      mode: input.encryption.mode,
      randomBytes: input.encryption.randomBytes,
      findSkey: createSkeyLookup(input.encryption.infoHashes),
    },
    handshaking: [],
    live: [],
    nextReaderId: 0,
    counts: { accepted: 0, rejected: 0, overLimit: 0, evicted: 0 },
  }),
  initial: 'starting',
  states: {
    starting: {
      invoke: {
        src: 'listen',
        input: ({ context, self }) => ({
          transport: context.transport,
          host: context.host,
          port: context.requestedPort,
          onConnection: (socket: PeerSocket) => {
            if (self.getSnapshot().status !== 'active') socket.destroy();
            else self.send({ type: 'CONNECTION', socket });
          },
        }),
        onDone: { target: 'listening', actions: ['recordListener', 'emitListening'] },
        onError: { target: 'failed', actions: ['recordListenError', 'emitFailed'] },
      },
      on: { STOP: 'stopped' },
    },
    listening: {
      on: {
        CONNECTION: { actions: { type: 'admitConnection', params: ({ event }) => event.socket } },
        'HANDSHAKE.READ': { actions: 'routeConnection' },
        'HANDSHAKE.FAILED': { actions: 'dropFailedHandshake' },
        STOP: 'stopping',
      },
    },
    stopping: {
      entry: 'abortHandshakes',
      invoke: {
        src: 'closeListener',
        input: ({ context }) => ({ listener: context.listener }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  on: {
    // Outside `listening` (a connection racing STOP): refuse it.
    CONNECTION: { actions: 'destroySocket' },
    'HANDSHAKE.READ': { actions: 'destroySocket' },
    CONNECTION_CLOSED: { actions: 'forgetConnection' },
    HANDLER_FAILED: { actions: ['forgetConnection', 'emitHandlerFailed'] },
  },
  output: ({ context }) => ({ port: context.port, error: context.error }),
});

export type ServerActor = ActorRefFrom<typeof serverMachine>;

/** Resolves with the bound port once listening; rejects with the clear message if listening failed. */
export async function whenListening(server: ServerActor): Promise<{ port: number; address: string }> {
  const snapshot = await waitFor(server, (s) => s.matches('listening') || s.status === 'done');
  if (!snapshot.matches('listening')) throw new Error(snapshot.context.error ?? 'server stopped before listening');
  return { port: snapshot.context.port!, address: snapshot.context.address! };
}

/** What the server did with incoming connections so far. */
export function serverCounts(server: ServerActor): ServerCounts {
  return server.getSnapshot().context.counts;
}
