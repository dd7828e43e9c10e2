import type { ActorRefFrom } from 'xstate';
import type { PeerControl } from '../engine/peer-handle.js';
import type { peerMachine } from './peer.js';

/** Queries and commands over a Peer actor: the only code outside peer.ts that knows its state names. */

export type PeerActor = ActorRefFrom<typeof peerMachine>;

export interface PeerFlags {
  amChoking: boolean;
  amInterested: boolean;
  peerChoking: boolean;
  peerInterested: boolean;
}

/** The four flags as the Peer machine's parallel regions hold them (before the handshake: choked, not interested). */
export function peerFlags(actor: PeerActor): PeerFlags {
  const { amChoking, amInterested, peerChoking, peerInterested } = peerControl(actor);
  return { amChoking, amInterested, peerChoking, peerInterested };
}

/** The machine's top state: handshaking, active or closed. */
export function peerStage(actor: PeerActor): string {
  const value = actor.getSnapshot().value;
  return typeof value === 'string' ? value : Object.keys(value)[0]!;
}

/** The client the peer said it runs (peer id or extension handshake). */
export function peerClient(actor: PeerActor): string | undefined {
  return actor.getSnapshot().context.client;
}

/**
 * The state of one of the active state's regions ('unchoked', 'yes', ...); undefined before or after
 * it. A property read rather than `matches()`: the engines ask for every block and every verified piece.
 */
function activeRegion(actor: PeerActor, region: keyof PeerFlags): string | undefined {
  const value = actor.getSnapshot().value;
  return typeof value === 'object' && 'active' in value ? value.active[region] : undefined;
}

export function peerControl(actor: PeerActor): PeerControl {
  return {
    get amChoking() {
      return activeRegion(actor, 'amChoking') !== 'unchoked';
    },
    get amInterested() {
      return activeRegion(actor, 'amInterested') === 'yes';
    },
    get peerChoking() {
      return activeRegion(actor, 'peerChoking') !== 'unchoked';
    },
    get peerInterested() {
      return activeRegion(actor, 'peerInterested') === 'yes';
    },
    command: (type) => actor.send({ type }),
    onChoke: (listener) => {
      const choked = actor.on('choked', () => listener(true));
      const unchoked = actor.on('unchoked', () => listener(false));
      return {
        unsubscribe: () => {
          choked.unsubscribe();
          unchoked.unsubscribe();
        },
      };
    },
    onAnnouncement: (listener) => actor.on('have-announcement', ({ message }) => listener(message)),
  };
}
