import net from 'node:net';
import type { PeerSocket } from './transport.js';

/**
 * Reads of dialled TCP connections into one buffer the process reuses (node's `onread`), instead of
 * a fresh 64 KiB buffer per read: at hundreds of MB/s those buffers alone make V8 run a full garbage
 * collection every few MiB. A chunk read this way is valid only until its reader returns.
 *
 * The connection's owner (the peer wire, which copies whatever it keeps) takes the chunks with
 * `readTransiently`; until it does, each chunk is copied and pushed into the socket's readable side,
 * so a handshake reader or an encryption layer set up first sees a normal socket (and bytes that
 * arrive before anyone listens wait in its buffer, as they would without `onread`).
 */
const READ_BUFFER_BYTES = 256 * 1024;
let shared: Buffer | undefined;
const readers = new WeakMap<object, (chunk: Buffer) => void>();
const supported = new WeakSet<object>();

/** The socket options that route a dialled socket's reads through the shared buffer. */
export function transientReadOptions(): { onread: { buffer: () => Buffer; callback: (bytes: number, buffer: Buffer) => boolean } } & { bind(socket: net.Socket): void } {
  let socket: net.Socket | undefined;
  return {
    onread: {
      // Reads are delivered one at a time on the main thread: one buffer serves every connection.
      buffer: () => (shared ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)),
      callback: (bytes, buffer) => {
        if (!socket) return true;
        const chunk = buffer.subarray(0, bytes);
        const reader = readers.get(socket);
        if (reader) reader(chunk);
        else socket.push(Buffer.from(chunk));
        return true;
      },
    },
    bind(s) {
      socket = s;
      supported.add(s);
    },
  };
}

/**
 * Hands this socket's incoming bytes to `reader` as transient views (see above), if the socket was
 * dialled with transientReadOptions; returns false (and does nothing) for any other socket.
 */
export function readTransiently(socket: PeerSocket, reader: (chunk: Buffer) => void): boolean {
  if (!(socket instanceof net.Socket) || !supported.has(socket)) return false;
  readers.set(socket, reader);
  // What arrived before (copies, waiting in the readable buffer) goes first: no read can come in
  // before a microtask, and by then the caller has subscribed to what the reader produces.
  queueMicrotask(() => {
    for (let waiting = socket.read() as Buffer | null; waiting !== null; waiting = socket.read() as Buffer | null) reader(waiting);
  });
  return true;
}
