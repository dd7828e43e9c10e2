import { MemorySocket, memorySocketPair } from '../../src/env/memory-socket.js';

/** One end of an in-memory connection (a socket's stand-in in actor tests). */
export type DuplexEnd = MemorySocket;

/** Our end (`local`, handed to the code under test) and the far end (`remote`, driven by the test). */
export function duplexPair(
  options: { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number; highWaterMark?: number } = {},
): { local: DuplexEnd; remote: DuplexEnd } {
  // Each end reports the address of the other, as socket.remoteAddress does.
  const { near, far } = memorySocketPair(
    { host: options.remoteAddress ?? '10.0.0.2', port: options.remotePort ?? 6881 },
    { host: options.localAddress ?? '10.0.0.1', port: options.localPort ?? 51413 },
    undefined,
    options.highWaterMark ?? 64 * 1024,
  );
  return { local: near, remote: far };
}
