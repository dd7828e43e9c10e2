import type { Duplex } from 'node:stream';
import {
  FrameDecoder,
  type Handshake,
  type PeerMessage,
  type WireMessage,
  encodeHandshake,
  encodeMessage,
} from '../protocol/wire/index.js';
import { allBits } from '../util/bits.js';
import type { SimHost } from './sim-network.js';

/**
 * A scripted peer: speaks raw wire messages through the real codec over any duplex (a simulated
 * connection here), valid or hostile. `onMessage` scripts its reactions; nothing is checked for it.
 */
export class FakePeer {
  readonly received: WireMessage[] = [];
  remote?: Handshake;
  closed = false;
  private readonly decoder = new FrameDecoder({ expectHandshake: true, maxMessageLength: 4 * 1024 * 1024 });
  private readonly listeners: ((message: WireMessage, peer: FakePeer) => void)[] = [];

  constructor(
    readonly socket: Duplex,
    options: { record?: boolean } = {},
  ) {
    socket.on('data', (chunk: Buffer) => {
      let messages: WireMessage[];
      try {
        messages = this.decoder.push(chunk);
      } catch {
        this.destroy();
        return;
      }
      for (const message of messages) {
        if (message.type === 'handshake') this.remote = message;
        if (options.record) this.received.push(message);
        for (const listener of this.listeners) listener(message, this);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  onMessage(listener: (message: WireMessage, peer: FakePeer) => void): this {
    this.listeners.push(listener);
    return this;
  }

  handshake(infoHash: Uint8Array, peerId: Uint8Array): void {
    this.write(encodeHandshake({ infoHash, peerId }));
  }

  send(...messages: PeerMessage[]): void {
    for (const message of messages) this.write(encodeMessage(message));
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(bytes);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

export interface ServingPeerOptions {
  host: SimHost;
  port: number;
  infoHash: Buffer;
  peerId: Buffer;
  pieceCount: number;
  pieceLength: number;
  /** The true payload. */
  payload: Buffer;
  /**
   * Blocks to corrupt, as `piece:begin` keys, or a predicate: a block served for one is sent with
   * every byte flipped (the right length, wrong bytes).
   */
  corrupt?: (index: number, begin: number) => boolean;
}

/**
 * A fake seeder that listens on its host: answers the handshake, announces every piece, unchokes
 * whoever is interested and serves each request from the payload, with the blocks chosen by
 * `corrupt` flipped. Counts what it served (`served`, `corrupted`).
 */
export async function startServingPeer(options: ServingPeerOptions): Promise<{ peers: FakePeer[]; served: number; corrupted: number; close(): Promise<void> }> {
  const state = { peers: [] as FakePeer[], served: 0, corrupted: 0, close: async (): Promise<void> => undefined };
  const bitfield = Buffer.from(allBits(options.pieceCount));
  const listener = await options.host.listen({ port: options.port }, (socket) => {
    const peer = new FakePeer(socket);
    state.peers.push(peer);
    peer.onMessage((message) => {
      switch (message.type) {
        case 'handshake':
          if (!message.infoHash.equals(options.infoHash)) return peer.destroy();
          peer.handshake(options.infoHash, options.peerId);
          peer.send({ type: 'bitfield', bitfield });
          return;
        case 'interested':
          peer.send({ type: 'unchoke' });
          return;
        case 'request': {
          const at = message.index * options.pieceLength + message.begin;
          if (at + message.length > options.payload.length) return peer.destroy();
          let block = options.payload.subarray(at, at + message.length);
          if (options.corrupt?.(message.index, message.begin)) {
            block = Buffer.from(block.map((b) => b ^ 0xff));
            state.corrupted++;
          }
          state.served++;
          peer.send({ type: 'piece', index: message.index, begin: message.begin, block });
          return;
        }
        default:
          return;
      }
    });
  });
  state.close = () => {
    for (const peer of state.peers) peer.destroy();
    return listener.close();
  };
  return state;
}
