import { Duplex } from 'node:stream';
import type { Clock } from './clock.js';
import type { PeerSocket } from './transport.js';

/**
 * Two connected in-memory byte streams, like the two ends of a TCP connection (trace replay, actor
 * tests): what one end writes the other reads, with real backpressure (a write's callback waits
 * until the reader has room, so `writableNeedDrain` and 'drain' behave as on a socket); `end()` on
 * one side ends the other's readable side, and destroying one end closes the other on a later tick,
 * as a reset would. With a latency, bytes arrive that long later on the given (simulated) clock, in
 * order, without backpressure.
 */
export interface MemoryLink {
  clock: Pick<Clock, 'setTimeout'>;
  latencyMs: number;
}

export class MemorySocket extends Duplex implements PeerSocket {
  other!: MemorySocket;
  private blocked: (() => void) | undefined;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly link?: MemoryLink,
    highWaterMark = 256 * 1024,
  ) {
    super({ highWaterMark });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.other.destroyed) return callback(new Error('write after the other end closed'));
    if (this.link) {
      const other = this.other;
      this.link.clock.setTimeout(() => {
        if (!other.destroyed) other.push(chunk);
      }, this.link.latencyMs);
      return callback();
    }
    if (this.other.push(chunk)) return callback();
    this.blocked = callback;
  }

  override _read(): void {
    const waiting = this.other.blocked;
    this.other.blocked = undefined;
    waiting?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const other = this.other;
    if (this.link) this.link.clock.setTimeout(() => !other.destroyed && other.push(null), this.link.latencyMs);
    else if (!other.destroyed) other.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const waiting = this.blocked;
    this.blocked = undefined;
    waiting?.();
    const other = this.other;
    process.nextTick(() => {
      if (!other.destroyed) other.destroy();
    });
    callback(error);
  }
}

/** `near` goes to the code under test and reports `far`'s address; `far` is the fake peer's. */
export function memorySocketPair(
  farAddress: { host: string; port: number },
  nearAddress: { host: string; port: number },
  link?: MemoryLink,
  highWaterMark?: number,
): { near: MemorySocket; far: MemorySocket } {
  const near = new MemorySocket(farAddress.host, farAddress.port, link, highWaterMark);
  const far = new MemorySocket(nearAddress.host, nearAddress.port, link, highWaterMark);
  near.other = far;
  far.other = near;
  return { near, far };
}
