import { Duplex } from 'node:stream';
import type { PeerSocket } from '../env/transport.js';
import type { SimClock } from './sim-clock.js';

/** One direction of a connection: where its bytes queue and when the last of them arrives. */
export interface SimPipe {
  /** When the pipe's own bandwidth is free again (ms). */
  freeAt: number;
  /** When the last chunk sent arrives: later chunks never overtake it (a byte stream stays in order). */
  lastArrival: number;
}

/** What a socket needs from the network to move its bytes. */
export interface SimRoute {
  clock: SimClock;
  /** Schedules `bytes` written now from this end; returns when they have left the sender and when they arrive. */
  schedule(from: SimSocket, bytes: number): { sentAt: number; arrivesAt: number };
  /** When a FIN or reset sent now reaches the other end. */
  closeArrival(from: SimSocket): number;
  forget(socket: SimSocket): void;
}

/**
 * One end of a simulated TCP connection. What is written leaves after the sender's uplink (and the
 * link) had time to send it, and reaches the other end `latency` later, in order. The write callback
 * fires when the bytes have left, so a congested uplink fills the stream's buffer: `write()` returns
 * false past the high-water mark and `'drain'` follows, as with a kernel send buffer.
 * Block payloads are passed on by reference, never copied (as a real socket's caller, a writer must
 * not change a buffer it has written).
 */
export class SimSocket extends Duplex implements PeerSocket {
  peer?: SimSocket;
  readonly lane: SimPipe = { freeAt: 0, lastArrival: 0 };
  private finSent = false;

  constructor(
    private readonly route: SimRoute,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    sendBufferBytes: number,
  ) {
    super({ writableHighWaterMark: sendBufferBytes, allowHalfOpen: false });
  }

  override _read(): void {
    /* data is pushed when it arrives */
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.transmit(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.transmit(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendFin();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sendFin();
    this.route.forget(this);
    callback(error);
  }

  private transmit(bytes: Buffer, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    const clock = this.route.clock;
    if (!peer || this.finSent) {
      callback(new Error('write after the connection closed (EPIPE)'));
      return;
    }
    const { sentAt, arrivesAt } = this.route.schedule(this, bytes.length);
    clock.setTimeout(() => callback(), sentAt - clock.now());
    clock.setTimeout(() => {
      if (!peer.destroyed && !peer.readableEnded) peer.push(bytes);
    }, arrivesAt - clock.now());
  }

  /** The other end hears of the close once the bytes before it have arrived. */
  private sendFin(): void {
    if (this.finSent) return;
    this.finSent = true;
    const peer = this.peer;
    if (!peer) return;
    const clock = this.route.clock;
    clock.setTimeout(() => {
      if (peer.destroyed) return;
      peer.push(null);
      peer.destroy();
    }, this.route.closeArrival(this) - clock.now());
  }
}
