import {
  FrameDecoder,
  type HandshakeInit,
  type PeerMessage,
  type WireMessage,
  encodeHandshake,
  encodeMessage,
} from '../../src/protocol/wire/index.js';
import type { Duplex } from 'node:stream';

/**
 * The far end of a connection, spoken by a test in raw bytes through the real codec: it records
 * every message we send it (decoded with a FrameDecoder, the handshake first) and writes whatever
 * frames the test scripts. Any duplex works: a DuplexEnd in memory or a real net.Socket.
 */
export class RawPeer {
  /** Everything received and not yet taken, in order. */
  readonly received: WireMessage[] = [];
  closed = false;
  decodeError: unknown;
  private readonly decoder: FrameDecoder;
  private readonly listeners: ((message: WireMessage) => void)[] = [];

  constructor(
    readonly socket: Duplex,
    /** `record: false` keeps nothing in `received` (listeners still hear everything): for floods. */
    options: { expectHandshake?: boolean; record?: boolean } = {},
  ) {
    this.decoder = new FrameDecoder({ expectHandshake: options.expectHandshake ?? true, maxMessageLength: 4 * 1024 * 1024 });
    socket.on('data', (chunk: Buffer) => {
      let messages: WireMessage[];
      try {
        messages = this.decoder.push(chunk);
      } catch (err) {
        this.decodeError = err;
        return;
      }
      for (const message of messages) {
        if (options.record !== false) this.received.push(message);
        for (const listener of this.listeners) listener(message);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  /** Calls `listener` for every message from now on (a scripted peer's reactions). */
  onMessage(listener: (message: WireMessage) => void): void {
    this.listeners.push(listener);
  }

  handshake(init: HandshakeInit): void {
    this.write(encodeHandshake(init));
  }

  send(...messages: PeerMessage[]): void {
    this.write(Buffer.concat(messages.map((m) => encodeMessage(m))));
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(bytes);
  }

  /** Returns what was received since the last call, and forgets it. */
  take(): WireMessage[] {
    return this.received.splice(0, this.received.length);
  }

  /** The types of what was received since the last call. */
  takeTypes(): string[] {
    return this.take().map((m) => m.type);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
