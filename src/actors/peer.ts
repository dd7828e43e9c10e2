import { assign, emit, fromCallback, setup } from 'xstate';
import type { PeerWire } from '../engine/peer-wire.js';
import { encode } from '../protocol/bencode/index.js';
import {
  CHOKE,
  EXTENDED_HANDSHAKE_ID,
  type Handshake,
  HAVE_ALL,
  HAVE_NONE,
  INTERESTED,
  KEEP_ALIVE,
  NOT_INTERESTED,
  type PeerMessage,
  UNCHOKE,
  describePeerId,
  validateBitfield,
} from '../protocol/wire/index.js';
import { VERSION } from '../version.js';

/**
 * One peer connection's protocol state: the handshake (with a timeout), the first-message rule for
 * bitfield / have-all / have-none, the four choke and interest flags as parallel regions, keep-alives,
 * the idle timeout, and the reason it closed. Block traffic (request, piece, have…) does not pass
 * through this machine: the Downloader and Uploader read it from `wire.messages$`.
 */

export interface LocalHave {
  /** Raw wire bitfield of the pieces we have; undefined when we have none. */
  bitfield?: Buffer;
  all: boolean;
}

export interface PeerInput {
  wire: PeerWire;
  direction: 'incoming' | 'outgoing';
  infoHash: Buffer;
  localPeerId: Buffer;
  /** Unknown while fetching a magnet link's metadata: bitfields and haves are then taken as they come. */
  pieceCount?: number;
  /** What we have, read when the handshake completes. */
  localHave: () => LocalHave;
  /** Incoming peers: the handshake the server already read to route the connection. */
  remoteHandshake?: Handshake;
  handshakeTimeoutMs?: number;
  /** Close a connection that has sent nothing (not even a keep-alive) for this long. */
  idleTimeoutMs?: number;
  keepAliveMs?: number;
  /** Our BEP 10 extension handshake for this peer (the ExtensionHub builds it); a bare one when absent. */
  extensionHandshake?: () => Buffer;
  /** Our DHT's UDP port (BEP 5): the handshake's DHT bit is set, and peers that set theirs get a `port` message. */
  dhtPort?: number;
}

export interface PeerContext {
  wire: PeerWire;
  direction: 'incoming' | 'outgoing';
  infoHash: Buffer;
  localPeerId: Buffer;
  pieceCount?: number;
  localHave: () => LocalHave;
  remote?: Handshake;
  /** e.g. "libtorrent 2.0.8", from the peer id or the extension handshake. */
  client?: string;
  fast: boolean;
  closeReason?: string;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveMs: number;
  extensionHandshake?: () => Buffer;
  dhtPort?: number;
}

export type PeerEvent =
  | { type: 'WIRE.HANDSHAKE'; handshake: Handshake }
  | { type: 'WIRE.HAVE_ANNOUNCEMENT'; message: PeerMessage }
  | { type: 'WIRE.OTHER' }
  | { type: 'WIRE.CHOKE' }
  | { type: 'WIRE.UNCHOKE' }
  | { type: 'WIRE.INTERESTED' }
  | { type: 'WIRE.NOT_INTERESTED' }
  | { type: 'WIRE.CLOSED'; reason: string }
  | { type: 'WIRE.INVALID'; reason: string }
  | { type: 'CHOKE' }
  | { type: 'UNCHOKE' }
  | { type: 'INTEREST' }
  | { type: 'UNINTEREST' }
  | { type: 'CLOSE'; reason: string };

export type PeerEmitted =
  | { type: 'connected'; remote: Handshake; client?: string }
  | { type: 'have-announcement'; message: PeerMessage }
  | { type: 'choked' }
  | { type: 'unchoked' }
  | { type: 'interested' }
  | { type: 'not-interested' }
  | { type: 'closed'; reason: string };

const ANNOUNCEMENTS = new Set(['bitfield', 'have-all', 'have-none']);

/** Lifts the control messages of the wire into machine events; the data messages stay on the stream. */
const wireEvents = fromCallback<PeerEvent, { wire: PeerWire; pieceCount?: number }>(({ input, sendBack }) => {
  const messages = input.wire.messages$.subscribe((message) => {
    // Checked here, where the piece count is known, whether or not a download engine listens (a seeder's does not).
    if (message.type === 'have' && input.pieceCount !== undefined && message.index >= input.pieceCount) {
      return sendBack({ type: 'WIRE.INVALID', reason: `have for piece ${message.index} of ${input.pieceCount}` });
    }
    switch (message.type) {
      case 'handshake':
        return sendBack({ type: 'WIRE.HANDSHAKE', handshake: message });
      case 'choke':
        return sendBack({ type: 'WIRE.CHOKE' });
      case 'unchoke':
        return sendBack({ type: 'WIRE.UNCHOKE' });
      case 'interested':
        return sendBack({ type: 'WIRE.INTERESTED' });
      case 'not-interested':
        return sendBack({ type: 'WIRE.NOT_INTERESTED' });
      default:
        if (ANNOUNCEMENTS.has(message.type)) return sendBack({ type: 'WIRE.HAVE_ANNOUNCEMENT', message });
        // Only the first message matters for the bitfield rule; later data skips the machine.
        // Extension handshakes (BEP 10) and keep-alives may come before the bitfield, as libtorrent sends them.
        if (!firstSeen && message.type !== 'keep-alive' && message.type !== 'extended' && message.type !== 'port') {
          firstSeen = true;
          sendBack({ type: 'WIRE.OTHER' });
        }
    }
  });
  let firstSeen = false;
  const closed = input.wire.closed$.subscribe((reason) => sendBack({ type: 'WIRE.CLOSED', reason }));
  return () => {
    messages.unsubscribe();
    closed.unsubscribe();
  };
});

function send(wire: PeerWire, message: PeerMessage): void {
  wire.send(message);
}

/** A bitfield of the right size with no spare bits set, or have-all / have-none between fast peers. */
function isValidAnnouncement(context: PeerContext, message: PeerMessage): boolean {
  if (message.type === 'bitfield') {
    if (context.pieceCount === undefined) return true;
    try {
      validateBitfield(message.bitfield, context.pieceCount);
      return true;
    } catch {
      return false;
    }
  }
  // BEP 6: have-all / have-none only when both sides offered the fast extension.
  return context.fast;
}

/** The action that records why the connection ends; the first reason wins. */
function closeWith(reason: string) {
  return { type: 'setCloseReason' as const, params: { reason } };
}

export const peerMachine = setup({
  types: {
    context: {} as PeerContext,
    input: {} as PeerInput,
    events: {} as PeerEvent,
    emitted: {} as PeerEmitted,
    output: {} as { reason: string },
  },
  actors: { wireEvents },
  delays: {
    HANDSHAKE_TIMEOUT: ({ context }) => context.handshakeTimeoutMs,
    // Due keepAliveMs after the last thing we sent: a fixed period would let the silence grow to
    // twice that (something sent just after a tick), past the 120 s timeout of libtorrent peers.
    KEEP_ALIVE: ({ context }) => Math.max(1, context.wire.lastSentAt + context.keepAliveMs - clockNow(context)),
    IDLE_CHECK: ({ context }) => Math.max(1000, context.idleTimeoutMs / 4),
  },
  guards: {
    handshakeAlreadyRead: ({ context }) => context.remote !== undefined,
    handshakeMatches: ({ context, event }) =>
      event.type === 'WIRE.HANDSHAKE' && event.handshake.infoHash.equals(context.infoHash),
    connectedToSelf: ({ context, event }) =>
      event.type === 'WIRE.HANDSHAKE' && event.handshake.peerId.equals(context.localPeerId),
    announcementValid: ({ context, event }) => event.type === 'WIRE.HAVE_ANNOUNCEMENT' && isValidAnnouncement(context, event.message),
    laterAnnouncementValid: ({ context, event }) =>
      event.type === 'WIRE.HAVE_ANNOUNCEMENT' && event.message.type !== 'have-none' && isValidAnnouncement(context, event.message),
    silentTooLong: ({ context }) => context.wire.lastReceivedAt + context.idleTimeoutMs <= clockNow(context),
  },
  actions: {
    setCloseReason: assign({
      closeReason: ({ context }, params: { reason: string }) => context.closeReason ?? params.reason,
    }),
    sendHandshake: ({ context }) =>
      context.wire.sendHandshake({
        infoHash: context.infoHash,
        peerId: context.localPeerId,
        flags: { extensionProtocol: true, fastExtension: true, dht: context.dhtPort !== undefined },
      }),
    recordRemote: assign(({ context, event }) => {
      const remote = event.type === 'WIRE.HANDSHAKE' ? event.handshake : context.remote!;
      const described = describePeerId(remote.peerId);
      return {
        remote,
        fast: remote.flags.fastExtension,
        client: described ? `${described.client} ${described.version}`.trim() : undefined,
      };
    }),
    sendGreeting: ({ context }) => {
      const { wire, remote, fast } = context;
      if (remote?.flags.extensionProtocol) {
        const payload = context.extensionHandshake?.() ?? encode({ m: {}, v: `actorrent ${VERSION}`, reqq: 250 });
        send(wire, { type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload });
      }
      const have = context.localHave();
      if (have.all && fast) send(wire, HAVE_ALL);
      else if (have.bitfield) send(wire, { type: 'bitfield', bitfield: have.bitfield });
      else if (fast) send(wire, HAVE_NONE);
      // BEP 5: where our DHT node listens, for peers that run one too (after the bitfield, which must come first).
      if (context.dhtPort !== undefined && remote?.flags.dht) send(wire, { type: 'port', port: context.dhtPort });
    },
    emitConnected: emit(({ context }) => ({ type: 'connected' as const, remote: context.remote!, client: context.client })),
    emitAnnouncement: emit(({ event }) => ({
      type: 'have-announcement' as const,
      message: (event as Extract<PeerEvent, { type: 'WIRE.HAVE_ANNOUNCEMENT' }>).message,
    })),
    sendChoke: ({ context }) => send(context.wire, CHOKE),
    sendUnchoke: ({ context }) => send(context.wire, UNCHOKE),
    sendInterested: ({ context }) => send(context.wire, INTERESTED),
    sendNotInterested: ({ context }) => send(context.wire, NOT_INTERESTED),
    emitChoked: emit({ type: 'choked' as const }),
    emitUnchoked: emit({ type: 'unchoked' as const }),
    emitInterested: emit({ type: 'interested' as const }),
    emitNotInterested: emit({ type: 'not-interested' as const }),
    sendKeepAliveIfQuiet: ({ context }) => {
      if (context.wire.lastSentAt + context.keepAliveMs <= clockNow(context)) send(context.wire, KEEP_ALIVE);
    },
    closeWire: ({ context }) => context.wire.close(context.closeReason ?? 'closed'),
    emitClosed: emit(({ context }) => ({ type: 'closed' as const, reason: context.closeReason ?? 'closed' })),
  },
}).createMachine({
  id: 'peer',
  context: ({ input }) => ({
    wire: input.wire,
    direction: input.direction,
    infoHash: input.infoHash,
    localPeerId: input.localPeerId,
    pieceCount: input.pieceCount,
    localHave: input.localHave,
    remote: input.remoteHandshake,
    fast: false,
    handshakeTimeoutMs: input.handshakeTimeoutMs ?? 10_000,
    idleTimeoutMs: input.idleTimeoutMs ?? 150_000,
    keepAliveMs: input.keepAliveMs ?? 60_000,
    extensionHandshake: input.extensionHandshake,
    dhtPort: input.dhtPort,
  }),
  invoke: { src: 'wireEvents', input: ({ context }) => ({ wire: context.wire, pieceCount: context.pieceCount }) },
  initial: 'handshaking',
  states: {
    handshaking: {
      always: {
        guard: 'handshakeAlreadyRead',
        target: 'active',
        actions: ['recordRemote', 'sendGreeting'],
      },
      // Outgoing: we speak first. Incoming: the server has read theirs; ours answers it.
      entry: 'sendHandshake',
      on: {
        'WIRE.HANDSHAKE': [
          { guard: 'connectedToSelf', target: 'closed', actions: closeWith('connected to ourselves') },
          { guard: 'handshakeMatches', target: 'active', actions: ['recordRemote', 'sendGreeting'] },
          { target: 'closed', actions: closeWith('handshake for another torrent') },
        ],
      },
      after: { HANDSHAKE_TIMEOUT: { target: 'closed', actions: closeWith('handshake timed out') } },
    },
    active: {
      type: 'parallel',
      entry: 'emitConnected',
      states: {
        announcement: {
          initial: 'awaitingFirstMessage',
          states: {
            awaitingFirstMessage: {
              on: {
                'WIRE.HAVE_ANNOUNCEMENT': [
                  { guard: 'announcementValid', target: 'done', actions: 'emitAnnouncement' },
                  { target: '#peer.closed', actions: closeWith('invalid bitfield, have-all or have-none') },
                ],
                'WIRE.OTHER': 'done',
                'WIRE.CHOKE': 'done',
                'WIRE.UNCHOKE': 'done',
                'WIRE.INTERESTED': 'done',
                'WIRE.NOT_INTERESTED': 'done',
              },
            },
            done: {
              on: {
                // BEP 3 allows a bitfield only first, but aria2 sends a fresh bitfield (or have-all
                // once complete) in place of a run of haves whenever that is shorter, so a later one
                // replaces what we knew. A later have-none would take pieces back: never legitimate.
                'WIRE.HAVE_ANNOUNCEMENT': [
                  { guard: 'laterAnnouncementValid', actions: 'emitAnnouncement' },
                  { target: '#peer.closed', actions: closeWith('have-none or invalid bitfield after the first message') },
                ],
              },
            },
          },
        },
        amChoking: {
          initial: 'choking',
          states: {
            choking: { on: { UNCHOKE: { target: 'unchoked', actions: 'sendUnchoke' } } },
            unchoked: { on: { CHOKE: { target: 'choking', actions: 'sendChoke' } } },
          },
        },
        amInterested: {
          initial: 'no',
          states: {
            no: { on: { INTEREST: { target: 'yes', actions: 'sendInterested' } } },
            yes: { on: { UNINTEREST: { target: 'no', actions: 'sendNotInterested' } } },
          },
        },
        peerChoking: {
          initial: 'choking',
          states: {
            choking: { on: { 'WIRE.UNCHOKE': { target: 'unchoked', actions: 'emitUnchoked' } } },
            unchoked: { on: { 'WIRE.CHOKE': { target: 'choking', actions: 'emitChoked' } } },
          },
        },
        peerInterested: {
          initial: 'no',
          states: {
            no: { on: { 'WIRE.INTERESTED': { target: 'yes', actions: 'emitInterested' } } },
            yes: { on: { 'WIRE.NOT_INTERESTED': { target: 'no', actions: 'emitNotInterested' } } },
          },
        },
        keepAlive: {
          initial: 'waiting',
          states: {
            waiting: { after: { KEEP_ALIVE: { target: 'waiting', reenter: true, actions: 'sendKeepAliveIfQuiet' } } },
          },
        },
        liveness: {
          initial: 'watching',
          states: {
            watching: {
              after: {
                IDLE_CHECK: [
                  { guard: 'silentTooLong', target: '#peer.closed', actions: closeWith('idle: nothing received for too long') },
                  { target: 'watching', reenter: true },
                ],
              },
            },
          },
        },
      },
    },
    closed: {
      type: 'final',
      entry: ['closeWire', 'emitClosed'],
    },
  },
  on: {
    'WIRE.CLOSED': { target: '.closed', actions: assign({ closeReason: ({ context, event }) => context.closeReason ?? event.reason }) },
    'WIRE.INVALID': { target: '.closed', actions: assign({ closeReason: ({ context, event }) => context.closeReason ?? event.reason }) },
    CLOSE: { target: '.closed', actions: assign({ closeReason: ({ context, event }) => context.closeReason ?? event.reason }) },
  },
  output: ({ context }) => ({ reason: context.closeReason ?? 'closed' }),
});

/** The wire's clock, so the simulator's time drives the idle and keep-alive checks too. */
function clockNow(context: PeerContext): number {
  return context.wire.clockNow();
}
