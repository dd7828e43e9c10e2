import { Duplex } from 'node:stream';
import type { PeerSocket } from '../env/transport.js';
import type { SimClock } from './sim-clock.js';

const EMPTY = Buffer.alloc(0);
/** Runs of chunks below this size (requests, haves, headers) travel joined: a copy of a few bytes costs less than a delivery each. */
const SMALL_CHUNK = 1024;

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
 * not change a buffer it has written): a corked batch (`writev`) travels as its list of chunks (runs of
 * small ones joined) and is pushed to the other end chunk by chunk, so a block arrives as a chunk of
 * its own and the frame decoder makes it a view of the sender's buffer. (Concatenating each batch was
 * the simulator's largest cost: a copy of every byte of every transfer, and the garbage it left.)
 */
export class SimSocket extends Duplex implements PeerSocket {
  peer?: SimSocket;
  readonly lane: SimPipe = { freeAt: 0, lastArrival: 0 };
  private finSent = false;
  /** The write whose bytes are leaving (a stream has one at a time) and its callback. */
  private unsent: ((error?: Error | null) => void) | undefined;
  /** What was sent and has not arrived yet, oldest first: arrivals keep the order of sending. */
  private readonly arriving: (Buffer | Buffer[])[] = [];
  private arrivingHead = 0;
  // Bound once: every chunk arms these two timers, without a closure each.
  private readonly onSent = (): void => {
    const callback = this.unsent!;
    this.unsent = undefined;
    callback();
  };
  private readonly onArrival = (): void => {
    const bytes = this.arriving[this.arrivingHead]!;
    this.arriving[this.arrivingHead++] = EMPTY;
    // A busy connection always has bytes in flight: drop the delivered front now and then.
    if (this.arrivingHead === this.arriving.length) this.arriving.length = this.arrivingHead = 0;
    else if (this.arrivingHead >= 64 && this.arrivingHead * 2 >= this.arriving.length) {
      this.arriving.splice(0, this.arrivingHead);
      this.arrivingHead = 0;
    }
    deliver(this.peer!, bytes);
  };

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
    this.transmit(chunk, chunk.length, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const list: Buffer[] = [];
    let length = 0;
    let run = -1;
    for (let i = 0; i <= chunks.length; i++) {
      const chunk = i < chunks.length ? chunks[i]!.chunk : undefined;
      if (chunk !== undefined) length += chunk.length;
      if (chunk !== undefined && chunk.length < SMALL_CHUNK) {
        if (run < 0) run = i;
        continue;
      }
      if (run >= 0) list.push(i - run === 1 ? chunks[run]!.chunk : Buffer.concat(chunks.slice(run, i).map((c) => c.chunk)));
      run = -1;
      if (chunk !== undefined) list.push(chunk);
    }
    this.transmit(list.length === 1 ? list[0]! : list, length, callback);
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

  private transmit(bytes: Buffer | Buffer[], length: number, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    const clock = this.route.clock;
    if (!peer || this.finSent) {
      callback(new Error('write after the connection closed (EPIPE)'));
      return;
    }
    const { sentAt, arrivesAt } = this.route.schedule(this, length);
    this.unsent = callback;
    clock.fireIn(sentAt - clock.now(), this.onSent);
    this.arriving.push(bytes);
    clock.fireIn(arrivesAt - clock.now(), this.onArrival);
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

/** Pushes what arrived to the receiving end, in order, unless it has closed meanwhile. */
function deliver(peer: SimSocket, bytes: Buffer | Buffer[]): void {
  if (!Array.isArray(bytes)) {
    if (!peer.destroyed && !peer.readableEnded) peer.push(bytes);
    return;
  }
  // Each push may run the receiver's handlers, which may close it.
  for (let i = 0; i < bytes.length && !peer.destroyed && !peer.readableEnded; i++) peer.push(bytes[i]);
}
