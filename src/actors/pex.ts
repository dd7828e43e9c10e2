import { type ActorRefFrom, assign, enqueueActions, fromCallback, setup } from 'xstate';
import type { PexExtension, PexInboxEvent } from '../engine/pex-extension.js';
import type { ExtensionPeer } from '../engine/peer-extensions.js';
import type { Clock } from '../env/clock.js';
import {
  DEFAULT_PEX_INTAKE,
  DEFAULT_PEX_SCHEDULE,
  type LivePeer,
  type PeerTraits,
  type PexContact,
  type PexIntake,
  type PexIntakeOptions,
  type PexOutbox,
  type PexScheduleOptions,
  liveContact,
  newIntake,
  newOutbox,
  nextPexMessage,
  takePexPeers,
} from '../policy/pex.js';
import { UT_PEX, encodePexMessage } from '../protocol/extension/ut-pex.js';
import { peerKey } from '../protocol/peer-address.js';
import type { ClientEvent } from './client.js';
import { SYSTEM_IDS } from './ids.js';

/**
 * The Pex actor (one per torrent): BEP 11 peer exchange. It keeps the torrent's live peers (the
 * Torrent reports each admitted connection and its end) and, for every peer that speaks ut_pex, what
 * we told it; when a peer's next message is due it sends the diff (src/policy/pex.ts: ≤ 50 added and
 * 50 dropped, ≥ 60 s apart). What peers tell us is filtered and rate-limited per source host, then
 * handed to the Client's dial book with the source `pex`.
 *
 *   starting ──(no ut_pex extension: a private torrent, BEP 27)──▶ off
 *            └─▶ sharing: scheduling ──▶ idle (nobody to tell) | waiting ──(next due)──▶ scheduling
 *
 * The ut_pex extension (src/engine/pex-extension.ts) is bound to this actor by an invoked callback
 * for as long as it is `sharing`. Timers are `after` delays on the actor's clock; give createActor
 * the same clock as `input.clock`.
 */

export interface PexInput {
  clock: Clock;
  /** The torrent's ut_pex extension; absent when PEX is off (private torrents). */
  extension?: PexExtension;
  /** What the torrent knows of a connected peer beyond its address (handshake fields, seed or not). */
  traitsOf: (key: string) => PeerTraits;
  /** We have every piece: peers flagged as seeds are then of no use to us. */
  weAreSeed: () => boolean;
  /** Our listening port, to recognise ourselves in what peers tell us. */
  listenPort: number;
  schedule?: Partial<PexScheduleOptions>;
  intake?: Partial<PexIntakeOptions>;
}

interface Partner {
  readonly peer: ExtensionPeer;
  readonly outbox: PexOutbox;
}

export interface PexContext {
  clock: Clock;
  extension?: PexExtension;
  traitsOf: PexInput['traitsOf'];
  weAreSeed: PexInput['weAreSeed'];
  listenPort: number;
  schedule: PexScheduleOptions;
  intakeOptions: PexIntakeOptions;
  /** Admitted connections, by the torrent's key, oldest first. */
  live: ReadonlyMap<string, LivePeer>;
  /** Connections that speak ut_pex, by key. */
  partners: ReadonlyMap<string, Partner>;
  intake: PexIntake;
}

export type PexEvent =
  | { type: 'PEER_CONNECTED'; key: string; address: string; direction: 'incoming' | 'outgoing' }
  | { type: 'PEER_CLOSED'; key: string }
  | PexInboxEvent;

export type PexEmitted =
  | { type: 'sent'; key: string; added: number; dropped: number }
  | { type: 'learned'; from: string; accepted: number; refused: number };

/** Binds the extension to this actor while it shares, and unbinds it when it stops. */
const inbox = fromCallback<PexInboxEvent, { extension: PexExtension }>(({ input, sendBack }) => input.extension.bind({ send: sendBack }));

/**
 * Our live peers as the entries `partnerKey` may hear about: never itself. Two connections to one
 * peer (both dialled at once, before the duplicate rule closes one) make one entry with both's flags.
 */
function contactsFor(context: PexContext, partnerKey: string): PexContact[] {
  const partner = context.live.get(partnerKey);
  const partnerContact = partner && liveContact(partner, context.traitsOf(partnerKey));
  const contacts = new Map<string, PexContact>();
  for (const [key, peer] of context.live) {
    if (key === partnerKey) continue;
    const contact = liveContact(peer, context.traitsOf(key));
    if (!contact || contact.key === partnerContact?.key) continue;
    const known = contacts.get(contact.key);
    contacts.set(contact.key, known ? { ...known, flags: known.flags | contact.flags } : contact);
  }
  return [...contacts.values()];
}

function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(':'));
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

export const pexMachine = setup({
  types: {
    context: {} as PexContext,
    input: {} as PexInput,
    events: {} as PexEvent,
    emitted: {} as PexEmitted,
  },
  actors: { inbox },
  delays: {
    /** Until the earliest partner's next message is due. */
    NEXT_PEX: ({ context }) => {
      let earliest = Infinity;
      for (const { outbox } of context.partners.values()) earliest = Math.min(earliest, outbox.nextAt);
      return Math.max(0, earliest - context.clock.now());
    },
  },
  guards: {
    enabled: ({ context }) => context.extension !== undefined,
    hasPartners: ({ context }) => context.partners.size > 0,
  },
  actions: {
    addLive: assign({
      live: ({ context }, peer: { key: string; address: string; direction: 'incoming' | 'outgoing' }) =>
        new Map(context.live).set(peer.key, { address: peer.address, direction: peer.direction }),
    }),
    removeLive: assign(({ context }, key: string) => {
      const live = new Map(context.live);
      live.delete(key);
      const partners = new Map(context.partners);
      partners.delete(key);
      return { live, partners };
    }),
    /** A later handshake keeps what we told the peer; a new one starts an outbox. */
    addPartner: assign({
      partners: ({ context }, peer: ExtensionPeer) => {
        const outbox = context.partners.get(peer.key)?.outbox ?? newOutbox(context.clock.now(), context.schedule);
        return new Map(context.partners).set(peer.key, { peer, outbox });
      },
    }),
    removePartner: assign({
      partners: ({ context }, key: string) => {
        if (!context.partners.has(key)) return context.partners;
        const partners = new Map(context.partners);
        partners.delete(key);
        return partners;
      },
    }),
    sendDue: enqueueActions(({ context, enqueue }) => {
      const now = context.clock.now();
      const partners = new Map(context.partners);
      for (const [key, partner] of context.partners) {
        if (partner.outbox.nextAt > now) continue;
        const { outbox, message } = nextPexMessage(partner.outbox, contactsFor(context, key), now, context.schedule);
        partners.set(key, { peer: partner.peer, outbox });
        if (!message) continue;
        const payload = encodePexMessage(message);
        enqueue(() => partner.peer.send(UT_PEX, payload));
        enqueue.emit({ type: 'sent' as const, key, added: message.added.length, dropped: message.dropped.length });
      }
      enqueue.assign({ partners });
    }),
    learnPeers: enqueueActions(({ context, enqueue, system }, received: Extract<PexEvent, { type: 'PEX.RECEIVED' }>) => {
      const source = hostOf(received.peer.address);
      // The source's view of our address, if it told us (`yourip`), with our port: that is us.
      const yourIp = received.peer.remote.yourIp;
      const self = yourIp ? [peerKey(yourIp, context.listenPort)].filter((k): k is string => k !== undefined) : [];
      const result = takePexPeers(context.intake, received.message.added, context.clock.now(), { source, self, weAreSeed: context.weAreSeed() }, context.intakeOptions);
      enqueue.assign({ intake: result.intake });
      enqueue.emit({ type: 'learned' as const, from: received.peer.address, accepted: result.accepted.length, refused: result.refused });
      const client = system.get(SYSTEM_IDS.client);
      if (client && result.accepted.length > 0) {
        const event: ClientEvent = { type: 'ADD_PEERS', peers: result.accepted.map(({ host, port }) => ({ host, port })), source: 'pex' };
        enqueue.sendTo(client, event);
      }
    }),
  },
}).createMachine({
  id: 'pex',
  context: ({ input }) => {
    const schedule = { ...DEFAULT_PEX_SCHEDULE, ...input.schedule };
    const intakeOptions = { ...DEFAULT_PEX_INTAKE, ...input.intake };
    return {
      clock: input.clock,
      extension: input.extension,
      traitsOf: input.traitsOf,
      weAreSeed: input.weAreSeed,
      listenPort: input.listenPort,
      schedule,
      intakeOptions,
      live: new Map(),
      partners: new Map(),
      intake: newIntake(input.clock.now(), intakeOptions),
    };
  },
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'enabled', target: 'sharing' }, { target: 'off' }],
    },
    /** No ut_pex extension (a private torrent): nothing is sent, nothing is learned. */
    off: {},
    sharing: {
      invoke: { src: 'inbox', input: ({ context }) => ({ extension: context.extension! }) },
      initial: 'scheduling',
      on: {
        PEER_CONNECTED: { actions: { type: 'addLive', params: ({ event }) => event } },
        PEER_CLOSED: { target: '.scheduling', actions: { type: 'removeLive', params: ({ event }) => event.key } },
        'PEX.READY': { target: '.scheduling', actions: { type: 'addPartner', params: ({ event }) => event.peer } },
        'PEX.GONE': { target: '.scheduling', actions: { type: 'removePartner', params: ({ event }) => event.key } },
        'PEX.RECEIVED': { actions: { type: 'learnPeers', params: ({ event }) => event } },
      },
      states: {
        /** Transient: wait for the earliest due partner, or for a partner to appear. */
        scheduling: {
          always: [{ guard: 'hasPartners', target: 'waiting' }, { target: 'idle' }],
        },
        idle: {},
        waiting: {
          after: { NEXT_PEX: { target: 'scheduling', actions: 'sendDue' } },
        },
      },
    },
  },
});

export type PexActor = ActorRefFrom<typeof pexMachine>;
