import { type EventObject, fromCallback } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { PeerSocket } from '../env/transport.js';
import { HANDSHAKE_LENGTH, type Handshake, checkHandshakePrefix, decodeHandshake } from '../protocol/wire/index.js';

/**
 * Reads the 68-byte handshake of one incoming connection, so the Server can route it by infohash
 * before any torrent sees it. It takes exactly the handshake's bytes from the socket (paused-mode
 * `read(n)`): whatever the peer sent after it stays in the socket's own buffer for the next reader,
 * and the kernel's flow control holds back a peer that floods us meanwhile. Bad bytes are refused
 * on the first one that cannot start a handshake; a peer that is too slow is dropped at the
 * timeout (injected clock).
 *
 * On success it detaches everything it attached and leaves the socket alone; on failure, or when
 * stopped before it finished, it destroys the socket.
 */

export interface HandshakeReaderInput {
  /** Echoed in the events, to tell concurrent readers apart. */
  id: string;
  socket: PeerSocket;
  address: string;
  clock: Clock;
  timeoutMs: number;
}

export type HandshakeReaderEvent =
  | {
      type: 'HANDSHAKE.READ';
      id: string;
      socket: PeerSocket;
      address: string;
      handshake: Handshake;
      /** Bytes past the handshake that the socket handed over in the same chunk (object-mode transports only). */
      rest: Buffer;
    }
  | { type: 'HANDSHAKE.FAILED'; id: string; address: string; reason: string };

const EMPTY = Buffer.alloc(0);

/**
 * Starts reading; the verdict goes to `sendBack`. Returns the function that gives up (destroying the
 * socket) if no verdict came yet. The Server calls this directly rather than spawning an actor per
 * connection: under a connection flood, spawning cost ~150 µs each.
 */
export function startHandshakeReader(input: HandshakeReaderInput, sendBack: (event: HandshakeReaderEvent) => void): () => void {
  const { id, socket, address } = input;
  const bytes = Buffer.alloc(HANDSHAKE_LENGTH);
  let have = 0;
  let settled = false;

  const detach = () => {
    input.clock.clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    socket.off('error', onError);
  };

  const fail = (reason: string) => {
    if (settled) return;
    settled = true;
    detach();
    socket.destroy();
    sendBack({ type: 'HANDSHAKE.FAILED', id, address, reason } satisfies HandshakeReaderEvent);
  };

  const succeed = (rest: Buffer) => {
    settled = true;
    detach();
    let handshake: Handshake;
    try {
      handshake = decodeHandshake(bytes);
    } catch (err) {
      settled = false;
      fail(`not a BitTorrent handshake: ${(err as Error).message}`);
      return;
    }
    sendBack({ type: 'HANDSHAKE.READ', id, socket, address, handshake, rest } satisfies HandshakeReaderEvent);
  };

  const onReadable = () => {
    while (!settled) {
      const want = Math.min(HANDSHAKE_LENGTH - have, socket.readableLength);
      if (want === 0) {
        // Nothing buffered: this read lets the stream notice an end of input and emit 'end'.
        socket.read();
        return;
      }
      const chunk = socket.read(want) as Buffer | null;
      if (chunk === null) return;
      const take = Math.min(chunk.length, HANDSHAKE_LENGTH - have);
      chunk.copy(bytes, have, 0, take);
      have += take;
      try {
        checkHandshakePrefix(bytes.subarray(0, have));
      } catch (err) {
        fail(`not a BitTorrent handshake: ${(err as Error).message}`);
        return;
      }
      if (have === HANDSHAKE_LENGTH) {
        succeed(take < chunk.length ? chunk.subarray(take) : EMPTY);
        return;
      }
    }
  };
  const onEnd = () => fail('connection closed during the handshake');
  const onClose = () => fail('connection closed during the handshake');
  const onError = (err: Error) => fail(`socket error during the handshake: ${err.message}`);

  const timer = input.clock.setTimeout(
    () => fail(`handshake timed out after ${input.timeoutMs} ms (${have} of ${HANDSHAKE_LENGTH} bytes)`),
    input.timeoutMs,
  );
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  socket.on('readable', onReadable);
  if (socket.destroyed) fail('connection closed during the handshake');

  return () => {
    // Stopped before a verdict (the server is stopping): the socket is still ours to close.
    if (settled) return;
    settled = true;
    detach();
    socket.destroy();
  };
}

/** The same as an actor logic (a callback actor), for tests and other hosts. */
export const handshakeReader = fromCallback<EventObject, HandshakeReaderInput>(({ input, sendBack }) => startHandshakeReader(input, sendBack));
