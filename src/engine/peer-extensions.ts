import type { Subscription } from 'rxjs';
import { ProtocolError } from '../protocol/errors.js';
import {
  type ExtendedHandshake,
  type ExtendedHandshakeInit,
  decodeExtendedHandshake,
  encodeExtendedHandshake,
} from '../protocol/extension/handshake.js';
import { parseIPv4, parseIPv6 } from '../protocol/tracker/address.js';
import { EXTENDED_HANDSHAKE_ID } from '../protocol/wire/index.js';
import { messageOf } from '../util/message-of.js';
import type { PeerWire } from './peer-wire.js';

/**
 * The BEP 10 extension protocol for one torrent's connections. Each extension (ut_metadata, ut_pex…)
 * is a module implementing `Extension`, plugged in here; the peer machine only sends the handshake
 * payload this hub builds, and the hub routes every extended message to its module. Adding an
 * extension never touches the peer machine.
 *
 * Ids: we ask each peer to send extension X with X's `localId` (our `m`); we send X to a peer with
 * the id from the peer's `m`. A message on an id we never assigned is ignored (BEP 10), a malformed
 * one closes the connection with the extension's reason.
 */

/** One connection as an extension sees it. */
export interface ExtensionPeer {
  /** The torrent's key of this connection. */
  readonly key: string;
  /** `host:port` of the socket. */
  readonly address: string;
  readonly direction: 'incoming' | 'outgoing';
  /** The peer's latest extension handshake. */
  readonly remote: ExtendedHandshake;
  supports(name: string): boolean;
  /** Sends `payload` on the peer's id for `name`; false when the peer does not speak it or the connection is closed. */
  send(name: string, payload: Buffer): boolean;
  close(reason: string): void;
}

export interface Extension {
  /** The BEP 10 name, e.g. "ut_metadata". */
  readonly name: string;
  /** The id peers send it to us with; unique among a hub's extensions, 1–255. */
  readonly localId: number;
  /** Fields this extension adds to our handshake (ut_metadata: `metadataSize`). */
  handshakeFields?(): Partial<ExtendedHandshakeInit>;
  /** The peer's handshake arrived (a later one again, with what changed). */
  peerReady?(peer: ExtensionPeer): void;
  /** A message for this extension; `payload` is a view, copy what you keep. Throw a ProtocolError to close the peer. */
  receive(peer: ExtensionPeer, payload: Buffer): void;
  /** The connection closed (only for peers that were ready). */
  peerGone?(peer: ExtensionPeer): void;
}

export interface ExtensionHubOptions {
  /** Our `v`. */
  client: string;
  /** Our `p`, read when a handshake is built (the port is known only after listen). */
  listenPort: () => number | undefined;
  /** Our `reqq`. */
  requestQueue: number;
  extensions: readonly Extension[];
}

export interface ExtensionConnection {
  key: string;
  address: string;
  direction: 'incoming' | 'outgoing';
  wire: PeerWire;
}

class Peer implements ExtensionPeer {
  remote: ExtendedHandshake = { m: new Map() };
  ready = false;
  constructor(private readonly connection: ExtensionConnection) {}

  get key(): string {
    return this.connection.key;
  }
  get address(): string {
    return this.connection.address;
  }
  get direction(): 'incoming' | 'outgoing' {
    return this.connection.direction;
  }
  supports(name: string): boolean {
    return this.remote.m.has(name);
  }
  send(name: string, payload: Buffer): boolean {
    const id = this.remote.m.get(name);
    if (id === undefined) return false;
    return this.connection.wire.send({ type: 'extended', id, payload });
  }
  close(reason: string): void {
    this.connection.wire.close(reason);
  }
}

export class ExtensionHub {
  private readonly byLocalId = new Map<number, Extension>();
  private readonly peers = new Map<string, Peer>();

  constructor(private readonly options: ExtensionHubOptions) {
    for (const extension of options.extensions) {
      if (!Number.isInteger(extension.localId) || extension.localId < 1 || extension.localId > 255) {
        throw new RangeError(`extension ${extension.name}: local id ${extension.localId} is not 1–255`);
      }
      if (this.byLocalId.has(extension.localId)) throw new RangeError(`extension id ${extension.localId} is used twice`);
      this.byLocalId.set(extension.localId, extension);
    }
  }

  get extensions(): readonly Extension[] {
    return this.options.extensions;
  }

  /** Our handshake payload for a peer at `address` (its `yourip` differs per peer). */
  handshakePayload(address: string): Buffer {
    const init: ExtendedHandshakeInit = {
      m: Object.fromEntries(this.options.extensions.map((e) => [e.name, e.localId])),
      client: this.options.client,
      listenPort: this.options.listenPort() || undefined,
      requestQueue: this.options.requestQueue,
      yourIp: rawAddress(address),
    };
    for (const extension of this.options.extensions) Object.assign(init, extension.handshakeFields?.());
    return encodeExtendedHandshake(init);
  }

  /** Routes the connection's extended messages from now until it closes. */
  attach(connection: ExtensionConnection): void {
    const peer = new Peer(connection);
    this.peers.set(connection.key, peer);
    let messages: Subscription | undefined;
    messages = connection.wire.messages$.subscribe((message) => {
      if (message.type === 'extended') this.receive(peer, message.id, message.payload);
    });
    connection.wire.closed$.subscribe(() => {
      messages?.unsubscribe();
      messages = undefined;
      if (this.peers.get(connection.key) === peer) this.peers.delete(connection.key);
      if (peer.ready) for (const extension of this.options.extensions) extension.peerGone?.(peer);
    });
  }

  /** The peer's extension handshake, once received. */
  remote(key: string): ExtendedHandshake | undefined {
    const peer = this.peers.get(key);
    return peer?.ready ? peer.remote : undefined;
  }

  /** The connection with this key, once its extension handshake has arrived. */
  peer(key: string): ExtensionPeer | undefined {
    const peer = this.peers.get(key);
    return peer?.ready ? peer : undefined;
  }

  /** Every connection whose extension handshake has arrived. */
  readyPeers(): ExtensionPeer[] {
    return [...this.peers.values()].filter((peer) => peer.ready);
  }

  private receive(peer: Peer, id: number, payload: Buffer): void {
    try {
      if (id === EXTENDED_HANDSHAKE_ID) {
        peer.remote = decodeExtendedHandshake(payload);
        peer.ready = true;
        for (const extension of this.options.extensions) extension.peerReady?.(peer);
        return;
      }
      // Before the handshake the peer cannot know our ids; after it, an unknown id is ignored.
      const extension = this.byLocalId.get(id);
      if (extension && peer.ready) extension.receive(peer, payload);
    } catch (err) {
      const name = id === EXTENDED_HANDSHAKE_ID ? 'extension handshake' : (this.byLocalId.get(id)?.name ?? `extension ${id}`);
      peer.close(err instanceof ProtocolError ? `protocol error: ${err.message}` : `internal error in ${name}: ${messageOf(err)}`);
    }
  }
}

/** The 4 or 16 raw bytes of the host in `host:port` / `[v6]:port`, for `yourip`. */
function rawAddress(address: string): Buffer | undefined {
  const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.slice(0, address.lastIndexOf(':'));
  const mapped = host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
  return parseIPv4(mapped) ?? parseIPv6(mapped);
}
