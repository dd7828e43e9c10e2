import type { Unsubscribable } from 'rxjs';
import type { PeerMessage } from '../protocol/wire/index.js';
import type { PeerWire } from './peer-wire.js';

/**
 * A peer's protocol state as the engines need it: the four choke / interest flags, the commands
 * that change ours, and the events that change theirs. The Peer actor owns this state; the actors
 * layer adapts it (src/actors/peer-control.ts), so the engines never see a machine.
 */
export interface PeerControl {
  readonly amChoking: boolean;
  readonly amInterested: boolean;
  readonly peerChoking: boolean;
  readonly peerInterested: boolean;
  command(type: 'CHOKE' | 'UNCHOKE' | 'INTEREST' | 'UNINTEREST'): void;
  /** The peer choked or unchoked us. */
  onChoke(listener: (choked: boolean) => void): Unsubscribable;
  /** A valid bitfield / have-all / have-none (the Peer actor checked the first-message rule). */
  onAnnouncement(listener: (message: PeerMessage) => void): Unsubscribable;
}

/** What the engines know of one connected (handshaken) peer: its bytes (wire) and its protocol state (control). */
export interface PeerHandle {
  /** Unique for the life of the session: "host:port#n". */
  readonly key: string;
  readonly address: string;
  /** The remote peer id, hex. */
  readonly peerId: string;
  readonly wire: PeerWire;
  readonly control: PeerControl;
  /** Both sides offered the BEP 6 fast extension. */
  readonly fast: boolean;
  readonly client?: string;
}
