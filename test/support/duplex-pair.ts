import { Duplex } from 'node:stream';
import type { PeerSocket } from '../../src/env/transport.js';

/**
 * Two connected in-memory byte streams, like the two ends of a TCP connection: what one end writes
 * the other reads. Backpressure is real (a write's callback waits until the reader has room, so
 * `writableNeedDrain` and `'drain'` behave as on a socket); `end()` on one side ends the other's
 * readable side, and destroying one end closes the other, as a reset connection would.
 */
export class DuplexEnd extends Duplex implements PeerSocket {
  peer!: DuplexEnd;
  /** A write waiting for the reader to drain its buffer. */
  private blocked: (() => void) | undefined;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
    options: { highWaterMark?: number } = {},
  ) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.destroyed) return callback(new Error('write after the other end closed'));
    if (this.peer.push(chunk)) return callback();
    this.blocked = callback;
  }

  override _read(): void {
    const waiting = this.peer.blocked;
    this.peer.blocked = undefined;
    waiting?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const waiting = this.blocked;
    this.blocked = undefined;
    waiting?.();
    // The other end learns of it on a later tick, as a socket learns of a reset.
    const peer = this.peer;
    process.nextTick(() => {
      if (!peer.destroyed) peer.destroy();
    });
    callback(error);
  }
}

/** Our end (`local`, handed to the code under test) and the far end (`remote`, driven by the test). */
export function duplexPair(
  options: { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number; highWaterMark?: number } = {},
): { local: DuplexEnd; remote: DuplexEnd } {
  // Each end reports the address of the other, as socket.remoteAddress does.
  const local = new DuplexEnd(options.remoteAddress ?? '10.0.0.2', options.remotePort ?? 6881, options);
  const remote = new DuplexEnd(options.localAddress ?? '10.0.0.1', options.localPort ?? 51413, options);
  local.peer = remote;
  remote.peer = local;
  return { local, remote };
}
