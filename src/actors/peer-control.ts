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

export function peerControl(actor: PeerActor): PeerControl {
  // Read on every block received and every request sent: worked out once per snapshot, not per read.
  let seen: unknown;
  let flags: PeerFlags = { amChoking: true, amInterested: false, peerChoking: true, peerInterested: false };
  const current = (): PeerFlags => {
    const snapshot = actor.getSnapshot();
    if (snapshot !== seen) {
      seen = snapshot;
      flags = {
        amChoking: !snapshot.matches({ active: { amChoking: 'unchoked' } }),
        amInterested: snapshot.matches({ active: { amInterested: 'yes' } }),
        peerChoking: !snapshot.matches({ active: { peerChoking: 'unchoked' } }),
        peerInterested: snapshot.matches({ active: { peerInterested: 'yes' } }),
      };
    }
    return flags;
  };
  return {
    get amChoking() {
      return current().amChoking;
    },
    get amInterested() {
      return current().amInterested;
    },
    get peerChoking() {
      return current().peerChoking;
    },
    get peerInterested() {
      return current().peerInterested;
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
