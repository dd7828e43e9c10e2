import type { ExtensionHub } from '../engine/peer-extensions.js';
import { PeerWire, type WireTap } from '../engine/peer-wire.js';
import type { Clock } from '../env/clock.js';
import { encryptionOf } from '../env/mse-socket.js';
import { type PeerSocket, transportOf } from '../env/transport.js';
import type { Handshake } from '../protocol/wire/index.js';
import { socketAddress } from '../util/socket-address.js';
import { type PeerRegistry, nextKey } from './peer-registry.js';

/**
 * The first steps of every connection a Torrent or a MetadataFetch takes: its key, its wire (with
 * the trace tap, shown first the handshake the server already read) and its extension routing. The
 * caller spawns the Peer actor with its own input and adds the registry entry from what this returns.
 */

/** A connection as the Client (outgoing, with the address's source) or the Server (incoming, handshake read) hands it over. */
export interface PeerConnection {
  socket: PeerSocket;
  direction: 'incoming' | 'outgoing';
  /** Where an outgoing peer's address came from (tracker, pex, lsd, manual…). */
  source?: string;
  handshake?: Handshake;
  rest?: Buffer;
}

/** A connection as a wire tap sees it; `encryption` only when it went through an MSE handshake. */
export interface WireTapPeer {
  key: string;
  address: string;
  direction: 'incoming' | 'outgoing';
  encryption?: 'rc4' | 'mse-plaintext';
  /** Only for uTP connections (TCP is the default and left out, so TCP traces are unchanged). */
  transport?: 'utp';
}

export interface OpenedConnection {
  key: string;
  address: string;
  wire: PeerWire;
  /** The registry entry's fields that describe the connection. */
  entry: { key: string; address: string; direction: 'incoming' | 'outgoing'; source: string; since: number; wire: PeerWire } & Pick<WireTapPeer, 'encryption' | 'transport'>;
}

export function openPeerConnection(
  connection: PeerConnection,
  context: { registry: PeerRegistry; clock: Clock; hub: ExtensionHub; wireTap?: (peer: WireTapPeer) => WireTap | undefined },
): OpenedConnection {
  const address = socketAddress(connection.socket);
  const key = nextKey(context.registry, address);
  const encryption = encryptionOf(connection.socket);
  const carried = {
    ...(encryption === 'none' ? {} : { encryption }),
    ...(transportOf(connection.socket) === 'utp' ? { transport: 'utp' as const } : {}),
  };
  const tap = context.wireTap?.({ key, address, direction: connection.direction, ...carried });
  // The server read an incoming handshake before the torrent was known: show it to the tap first.
  if (tap && connection.handshake) tap('in', connection.handshake);
  const wire = new PeerWire(connection.socket, {
    clock: context.clock,
    expectHandshake: connection.handshake === undefined,
    initialBytes: connection.rest,
    tap,
  });
  context.hub.attach({ key, address, direction: connection.direction, wire });
  const source = connection.source ?? connection.direction;
  return { key, address, wire, entry: { key, address, direction: connection.direction, source, since: context.clock.now(), wire, ...carried } };
}
