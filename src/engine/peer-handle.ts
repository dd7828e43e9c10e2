import type { ActorRefFrom } from 'xstate';
import type { peerMachine } from '../actors/peer.js';
import type { PeerWire } from './peer-wire.js';

export type PeerActor = ActorRefFrom<typeof peerMachine>;

/** What the engines know of one connected peer: its bytes (wire) and its protocol state (actor). */
export interface PeerHandle {
  /** Unique for the life of the session: "host:port#n". */
  readonly key: string;
  readonly address: string;
  readonly wire: PeerWire;
  readonly actor: PeerActor;
  /** Both sides offered the BEP 6 fast extension. */
  readonly fast: boolean;
  readonly client?: string;
}

export function peerUnchokedUs(peer: PeerHandle): boolean {
  return peer.actor.getSnapshot().matches({ active: { peerChoking: 'unchoked' } });
}

export function weAreInterested(peer: PeerHandle): boolean {
  return peer.actor.getSnapshot().matches({ active: { amInterested: 'yes' } });
}

export function peerIsInterested(peer: PeerHandle): boolean {
  return peer.actor.getSnapshot().matches({ active: { peerInterested: 'yes' } });
}

export function weAreChoking(peer: PeerHandle): boolean {
  return peer.actor.getSnapshot().matches({ active: { amChoking: 'choking' } });
}
