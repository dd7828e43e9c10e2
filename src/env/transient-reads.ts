import net from 'node:net';
import type { PeerSocket } from './transport.js';

/**
 * Reads of TCP connections into one buffer the process reuses (node's `onread`), instead of a fresh
 * 64 KiB buffer per read: at hundreds of MB/s those buffers alone make V8 run a full garbage
 * collection every few MiB. A chunk read this way is valid only until its reader returns.
 *
 * The connection's owner (the peer wire, which copies whatever it keeps) takes the chunks with
 * `readTransiently`; until it does, each chunk is copied and pushed into the socket's readable side,
 * so a handshake reader or an encryption layer set up first sees a normal socket (and bytes that
 * arrive before anyone listens wait in its buffer, as they would without `onread`, with the same
 * backpressure: a full buffer stops reading).
 */
const READ_BUFFER_BYTES = 256 * 1024;
let shared: Buffer | undefined;
const readers = new WeakMap<object, (chunk: Buffer) => void>();
const supported = new WeakSet<object>();

// Reads are delivered one at a time on the main thread: one buffer serves every connection.
const sharedBuffer = () => (shared ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));

/** What a read into the shared buffer does: hand the view to the socket's reader, or queue a copy. */
function deliver(socket: net.Socket, bytes: number, buffer: Buffer): boolean {
  const chunk = buffer.subarray(0, bytes);
  const reader = readers.get(socket);
  if (!reader) return socket.push(Buffer.from(chunk));
  reader(chunk);
  return true;
}

/** The socket options that route a dialled socket's reads through the shared buffer. */
export function transientReadOptions(): { onread: { buffer: () => Buffer; callback: (bytes: number, buffer: Buffer) => boolean } } & { bind(socket: net.Socket): void } {
  let socket: net.Socket | undefined;
  return {
    onread: {
      buffer: sharedBuffer,
      callback: (bytes, buffer) => (socket ? deliver(socket, bytes, buffer) : true),
    },
    bind(s) {
      socket = s;
      supported.add(s);
    },
  };
}

/**
 * Node offers `onread` only to sockets it dials: an accepted socket reads into a fresh buffer each
 * time, and in a swarm half the data arrives on accepted connections (19–28 full collections per
 * leecher of a 256 MiB swarm). Node 20 implements `onread` with symbol-keyed fields of the socket
 * (the buffer, its callback, an optional buffer generator) and its handle's `useUserBuffer`; this
 * sets the first two on an accepted socket, once, if this node has them all, and otherwise leaves
 * the socket as it is (its reads are then ordinary).
 */
export function adoptTransientReads(socket: net.Socket): boolean {
  const fields = onreadFields(socket);
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buffer: Buffer) => void } })._handle;
  if (!fields || typeof handle?.useUserBuffer !== 'function' || supported.has(socket)) return false;
  const buffer = sharedBuffer();
  const own = socket as unknown as Record<symbol, unknown>;
  own[fields.buffer] = buffer;
  own[fields.callback] = (bytes: number, into: Buffer) => deliver(socket, bytes, into);
  handle.useUserBuffer(buffer);
  supported.add(socket);
  return true;
}

interface OnreadFields {
  buffer: symbol;
  callback: symbol;
}

/** The symbols behind `onread` (node's kBuffer, kBufferCb), when a socket has both and no buffer set. */
function onreadFields(socket: net.Socket): OnreadFields | undefined {
  const symbols = new Map(Object.getOwnPropertySymbols(socket).map((symbol) => [symbol.description, symbol]));
  const buffer = symbols.get('kBuffer');
  const callback = symbols.get('kBufferCb');
  if (!buffer || !callback || !symbols.has('kBufferGen')) return undefined;
  const own = socket as unknown as Record<symbol, unknown>;
  if (own[buffer] !== null || own[callback] !== null) return undefined;
  return { buffer, callback };
}

/**
 * Hands this socket's incoming bytes to `reader` as transient views (see above), if the socket was
 * dialled with transientReadOptions, adopted, or is a layer that offers them; returns false (and
 * does nothing) for any other socket.
 */
export function readTransiently(socket: PeerSocket, reader: (chunk: Buffer) => void): boolean {
  if (!supported.has(socket)) return false;
  readers.set(socket, reader);
  // What arrived before (copies, waiting in the readable buffer) goes first: no read can come in
  // before a microtask, and by then the caller has subscribed to what the reader produces.
  queueMicrotask(() => {
    for (let waiting = socket.read() as Buffer | null; waiting !== null; waiting = socket.read() as Buffer | null) reader(waiting);
  });
  return true;
}

/**
 * For a layer over a socket (the MSE stream): the socket's reads go to `reader` as transient views
 * from now on; unlike readTransiently, what already waits in the socket's readable buffer is the
 * caller's to drain first. False (nothing changed) when the socket reads no such views.
 */
export function takeTransientReads(socket: PeerSocket, reader: (chunk: Buffer) => void): boolean {
  if (!supported.has(socket)) return false;
  readers.set(socket, reader);
  return true;
}

/**
 * Makes readTransiently accept a layer that hands on views of its own transient reads; returns the
 * lookup of the reader they go to (undefined until one takes them: the layer then queues copies).
 */
export function offerTransientReads(layer: PeerSocket): () => ((chunk: Buffer) => void) | undefined {
  supported.add(layer);
  return () => readers.get(layer);
}
