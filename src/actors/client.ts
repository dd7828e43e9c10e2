import { type ActorRefFrom, type DoneActorEvent, type ErrorActorEvent, enqueueActions, fromPromise, setup } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { PeerSocket, Transport } from '../env/transport.js';
import { MseHandshakeError, type MseDialOptions, negotiateOutgoing } from '../env/mse-dial.js';
import { encryptionOf } from '../env/mse-socket.js';
import { type ConnectionEncryption, type DialAttempt, type EncryptionMode, cryptoProvide, dialAttempts } from '../policy/encryption.js';
import type { RandomBytes } from '../protocol/mse/index.js';
import {
  DEFAULT_DIAL_BOOK_OPTIONS,
  type DialBook,
  type DialBookOptions,
  addCandidates,
  dialAborted,
  dialFailed,
  dialSucceeded,
  emptyDialBook,
  freeDialSlots,
  markDialing,
  nextRetryAt,
  peerClosed,
  peerConnected,
  pickDials,
} from '../policy/dial-book.js';
import { parsePeerAddress } from '../protocol/peer-address.js';
import { messageOf } from '../util/message-of.js';

/**
 * The Client actor (one per torrent): dials candidate peers from every source, at most
 * `maxHalfOpen` at a time and never beyond `maxPeers` live + half-open connections. Each dial is a
 * child actor; a failed address is backed off (30 s, 60 s, 120 s … capped) and given up after
 * `maxFailures`. The torrent reports every live connection, in either direction, with
 * PEER_CONNECTED / PEER_CLOSED, so the count is right and nobody connected is dialled again.
 *
 *   active: idle ⇄ dialing ⇄ saturated   (re-decided after every event)
 *   active ──PAUSE──▶ paused ──RESUME──▶ active;   any ──STOP──▶ stopped
 *
 * Timers: the retry wake-up is an `after` delay on the actor's clock, and times are read from
 * `input.clock`: give createActor the same clock (XState's SimulatedClock in tests).
 */

export const CLIENT_DIAL_PREFIX = 'dial:';

export interface ClientInput {
  transport: Transport;
  clock: Clock;
  maxPeers?: number;
  maxHalfOpen?: number;
  connectTimeoutMs?: number;
  /** Dial from this local address (`--bind`). */
  localAddress?: string;
  /** A dial succeeded: the torrent takes the socket (and must attach an 'error' listener at once). */
  onConnected: (socket: PeerSocket, address: string, source: string) => void;
  maxCandidates?: number;
  maxFailures?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Message Stream Encryption of our dials; without it every dial is plaintext. */
  encryption?: OutgoingEncryption;
}

/** What our dials need to speak MSE (src/policy/encryption.ts decides how each dial goes). */
export interface OutgoingEncryption {
  mode: EncryptionMode;
  /** The torrent's infohash: MSE's SKEY. */
  infoHash: Buffer;
  randomBytes: RandomBytes;
  /** The MSE handshake must finish within this long. Default 10 s. */
  timeoutMs?: number;
}

export interface ClientContext {
  transport: Transport;
  clock: Clock;
  maxPeers: number;
  maxHalfOpen: number;
  connectTimeoutMs: number;
  localAddress?: string;
  onConnected: ClientInput['onConnected'];
  options: DialBookOptions;
  book: DialBook;
  encryption?: OutgoingEncryption;
}

export interface DialOutput {
  key: string;
  socket: PeerSocket;
  encryption: ConnectionEncryption;
  /** The MSE handshake failed and a plaintext connection took its place. */
  fellBack: boolean;
}

type DialId = `${typeof CLIENT_DIAL_PREFIX}${string}`;

export type ClientEvent =
  | { type: 'ADD_PEERS'; peers: readonly { host: string; port: number }[]; source: string }
  | { type: 'PEER_CONNECTED'; address: string }
  /** `redial: false` for a peer never to dial again (ourselves, another torrent's peer). */
  | { type: 'PEER_CLOSED'; address: string; reason: string; redial?: boolean }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'STOP' }
  | DoneActorEvent<DialOutput, DialId>
  | ErrorActorEvent<unknown, DialId>;

export type ClientEmitted =
  | { type: 'dialing'; address: string; source: string }
  | { type: 'connected'; address: string; encryption: ConnectionEncryption; fellBack: boolean }
  | { type: 'dial-failed'; address: string; error: string; failures: number; gaveUp: boolean; retryAt?: number }
  | { type: 'candidates'; added: number; ignored: number; total: number };

export interface DialInput {
  transport: Transport;
  key: string;
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  /** In order; the next only when the MSE handshake of the one before failed. Default plaintext. */
  attempts?: readonly DialAttempt[];
  mse?: MseDialOptions;
}

/** One dial: connect, then the MSE handshake when the attempt is encrypted; a failed MSE handshake moves on to the next attempt. */
const dial = fromPromise<DialOutput, DialInput>(async ({ input, signal }) => {
  const attempts = input.attempts ?? ['plaintext'];
  for (let n = 0; ; n++) {
    const attempt = attempts[n]!;
    const raw = await input.transport.connect({
      host: input.host,
      port: input.port,
      localAddress: input.localAddress,
      timeoutMs: input.timeoutMs,
    });
    // Paused or stopped while connecting (or before our parent takes the socket): close it.
    if (signal.aborted) {
      raw.destroy();
      throw new Error('dial aborted');
    }
    let socket: PeerSocket = raw;
    if (attempt === 'encrypted') {
      const abort = () => raw.destroy();
      signal.addEventListener('abort', abort, { once: true });
      try {
        socket = await negotiateOutgoing(raw, input.mse!);
      } catch (err) {
        if (signal.aborted) throw new Error('dial aborted');
        if (err instanceof MseHandshakeError && n + 1 < attempts.length) continue;
        throw err;
      } finally {
        signal.removeEventListener('abort', abort);
      }
    }
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    return { key: input.key, socket, encryption: encryptionOf(socket), fellBack: n > 0 };
  }
});

const keyOf = (actorId: string) => actorId.slice(CLIENT_DIAL_PREFIX.length);

function addressKey(address: string): string {
  return parsePeerAddress(address)?.key ?? address;
}

export const clientMachine = setup({
  types: {
    context: {} as ClientContext,
    input: {} as ClientInput,
    events: {} as ClientEvent,
    emitted: {} as ClientEmitted,
  },
  actors: { dial },
  delays: {
    /** Until the next backed-off candidate is due; a long idle heartbeat when none is. */
    NEXT_RETRY: ({ context }) => {
      const now = context.clock.now();
      const at = nextRetryAt(context.book, now);
      return at === undefined ? context.options.backoffMaxMs : Math.min(at - now, context.options.backoffMaxMs);
    },
  },
  guards: {
    saturated: ({ context }) => context.book.connected.size >= context.maxPeers,
    dialsInFlight: ({ context }) => context.book.dialing.size > 0,
  },
  actions: {
    addPeers: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ADD_PEERS') return;
      const peers = Array.isArray(event.peers) ? event.peers : [];
      const result = addCandidates(context.book, peers, event.source, context.clock.now(), context.options);
      if (result.book !== context.book) enqueue.assign({ book: result.book });
      enqueue.emit({
        type: 'candidates',
        added: result.added,
        ignored: result.ignored,
        total: result.book.candidates.size,
      });
    }),
    peerConnected: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'PEER_CONNECTED') return;
      enqueue.assign({ book: peerConnected(context.book, addressKey(event.address)) });
    }),
    peerClosed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'PEER_CLOSED') return;
      const book = peerClosed(
        context.book,
        addressKey(event.address),
        context.clock.now(),
        event.redial ?? true,
        context.options,
      );
      enqueue.assign({ book });
    }),
    startDials: enqueueActions(({ context, enqueue }) => {
      const now = context.clock.now();
      const picks = pickDials(context.book, now, freeDialSlots(context.book, context));
      if (picks.length === 0) return;
      enqueue.assign({ book: markDialing(context.book, picks.map((c) => c.key)) });
      const encryption = context.encryption;
      const mse: MseDialOptions | undefined = encryption && {
        skey: encryption.infoHash,
        cryptoProvide: cryptoProvide(encryption.mode),
        randomBytes: encryption.randomBytes,
        clock: context.clock,
        timeoutMs: encryption.timeoutMs ?? 10_000,
      };
      for (const c of picks) {
        enqueue.spawnChild('dial', {
          id: `${CLIENT_DIAL_PREFIX}${c.key}`,
          input: {
            transport: context.transport,
            key: c.key,
            host: c.host,
            port: c.port,
            localAddress: context.localAddress,
            timeoutMs: context.connectTimeoutMs,
            attempts: encryption ? dialAttempts(encryption.mode, c.plaintextOnly === true) : ['plaintext'],
            mse,
          },
        });
        enqueue.emit({ type: 'dialing', address: c.key, source: c.source });
      }
    }),
    dialSucceeded: enqueueActions(({ context, event, enqueue }) => {
      if (!event.type.startsWith('xstate.done.actor.')) return;
      const { key, socket, encryption, fellBack } = (event as DoneActorEvent<DialOutput>).output;
      // The same address connected to us while we dialled: keep theirs.
      if (context.book.connected.has(key)) {
        enqueue(() => socket.destroy());
        enqueue.assign({ book: dialAborted(context.book, key) });
        return;
      }
      // Incoming peers filled the slots while we dialled: keep the limit, try this one later.
      if (context.book.connected.size >= context.maxPeers) {
        enqueue(() => socket.destroy());
        const book = peerClosed(dialSucceeded(context.book, key), key, context.clock.now(), true, context.options);
        enqueue.assign({ book });
        return;
      }
      enqueue.assign({ book: dialSucceeded(context.book, key, fellBack) });
      enqueue.emit({ type: 'connected', address: key, encryption, fellBack });
      enqueue(({ self }) => {
        try {
          context.onConnected(socket, key, context.book.candidates.get(key)?.source ?? 'manual');
        } catch (err) {
          socket.destroy();
          self.send({ type: 'PEER_CLOSED', address: key, reason: `onConnected failed: ${messageOf(err)}` });
        }
      });
    }),
    dialFailed: enqueueActions(({ context, event, enqueue }) => {
      if (!event.type.startsWith('xstate.error.actor.')) return;
      const { actorId, error } = event as ErrorActorEvent<unknown, string>;
      const key = keyOf(actorId);
      const verdict = dialFailed(context.book, key, context.clock.now(), context.options);
      enqueue.assign({ book: verdict.book });
      enqueue.emit({
        type: 'dial-failed',
        address: key,
        error: messageOf(error),
        failures: verdict.failures,
        gaveUp: verdict.gaveUp,
        ...(verdict.retryAt === undefined ? {} : { retryAt: verdict.retryAt }),
      });
    }),
    /** Outside `active` no dial should finish (they are stopped on the way out); if one does, close it. */
    discardDial: enqueueActions(({ context, event, enqueue }) => {
      if (event.type.startsWith('xstate.done.actor.')) {
        const { key, socket } = (event as DoneActorEvent<DialOutput>).output;
        enqueue(() => socket.destroy());
        enqueue.assign({ book: dialAborted(context.book, key) });
      } else if (event.type.startsWith('xstate.error.actor.')) {
        enqueue.assign({ book: dialAborted(context.book, keyOf((event as ErrorActorEvent).actorId)) });
      }
    }),
    abortDials: enqueueActions(({ context, enqueue }) => {
      let book = context.book;
      for (const key of context.book.dialing) {
        enqueue.stopChild(`${CLIENT_DIAL_PREFIX}${key}`);
        book = dialAborted(book, key);
      }
      enqueue.assign({ book });
    }),
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => ({
    transport: input.transport,
    clock: input.clock,
    maxPeers: input.maxPeers ?? 50,
    maxHalfOpen: input.maxHalfOpen ?? 8,
    connectTimeoutMs: input.connectTimeoutMs ?? 10_000,
    localAddress: input.localAddress,
    onConnected: input.onConnected,
    options: {
      maxCandidates: input.maxCandidates ?? DEFAULT_DIAL_BOOK_OPTIONS.maxCandidates,
      maxFailures: input.maxFailures ?? DEFAULT_DIAL_BOOK_OPTIONS.maxFailures,
      backoffBaseMs: input.backoffBaseMs ?? DEFAULT_DIAL_BOOK_OPTIONS.backoffBaseMs,
      backoffMaxMs: input.backoffMaxMs ?? DEFAULT_DIAL_BOOK_OPTIONS.backoffMaxMs,
    },
    book: emptyDialBook(),
    encryption: input.encryption,
  }),
  initial: 'active',
  states: {
    active: {
      initial: 'deciding',
      on: {
        ADD_PEERS: { target: '.deciding', actions: 'addPeers' },
        PEER_CONNECTED: { target: '.deciding', actions: 'peerConnected' },
        PEER_CLOSED: { target: '.deciding', actions: 'peerClosed' },
        'xstate.done.actor.*': { target: '.deciding', actions: 'dialSucceeded' },
        'xstate.error.actor.*': { target: '.deciding', actions: 'dialFailed' },
        PAUSE: 'paused',
      },
      states: {
        /** Transient: start what dials fit, then settle in the state that describes the result. */
        deciding: {
          entry: 'startDials',
          always: [
            { guard: 'saturated', target: 'saturated' },
            { guard: 'dialsInFlight', target: 'dialing' },
            { target: 'idle' },
          ],
        },
        /** Nothing in flight: no candidates, or all backed off (wake up when the first is due). */
        idle: { after: { NEXT_RETRY: 'deciding' } },
        dialing: { after: { NEXT_RETRY: 'deciding' } },
        /** At maxPeers: only a PEER_CLOSED makes room. */
        saturated: {},
      },
    },
    paused: {
      entry: 'abortDials',
      on: { RESUME: 'active' },
    },
    stopped: {
      type: 'final',
      entry: 'abortDials',
    },
  },
  on: {
    // Outside `active` the book still learns; it just does not dial.
    ADD_PEERS: { actions: 'addPeers' },
    PEER_CONNECTED: { actions: 'peerConnected' },
    PEER_CLOSED: { actions: 'peerClosed' },
    'xstate.done.actor.*': { actions: 'discardDial' },
    'xstate.error.actor.*': { actions: 'discardDial' },
    STOP: '.stopped',
  },
});

export type ClientActor = ActorRefFrom<typeof clientMachine>;
