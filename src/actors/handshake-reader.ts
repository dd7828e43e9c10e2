import { type EventObject, fromCallback } from 'xstate';
import type { Clock } from '../env/clock.js';
import { EncryptedSocket } from '../env/mse-socket.js';
import type { PeerSocket } from '../env/transport.js';
import { type EncryptionMode, admitHandshakeKind, selectCrypto } from '../policy/encryption.js';
import { MseResponder, type RandomBytes } from '../protocol/mse/index.js';
import { ProtocolError } from '../protocol/errors.js';
import { HANDSHAKE_LENGTH, type Handshake, checkHandshakePrefix, decodeHandshake } from '../protocol/wire/index.js';

/**
 * Reads the 68-byte handshake of one incoming connection, so the Server can route it by infohash
 * before any torrent sees it. It takes exactly the handshake's bytes from the socket (paused-mode
 * `read(n)`): whatever the peer sent after it stays in the socket's own buffer for the next reader,
 * and the kernel's flow control holds back a peer that floods us meanwhile. Bad bytes are refused
 * on the first one that cannot start a handshake; a peer that is too slow is dropped at the
 * timeout (injected clock).
 *
 * With encryption on, the first bytes also tell an MSE handshake from a plaintext one: the first
 * byte that cannot start "\x13BitTorrent protocol" hands everything read so far to the MSE responder
 * (src/protocol/mse), which finds the torrent by its SKEY hash among `findSkey`'s and bounds its own
 * search for the synchronisation marker; the BitTorrent handshake is then read inside the
 * encrypted stream and must name the same torrent. One timeout covers both handshakes.
 *
 *   detect ──plaintext──▶ handshake ──68 bytes──▶ READ (the raw socket)
 *     └──not plaintext, MSE allowed──▶ mse ──done──▶ handshake ──▶ READ (the encrypted socket)
 *
 * On success it detaches everything it attached and leaves the socket alone; on failure, or when
 * stopped before it finished, it destroys the socket.
 */

/** How the listening port treats encrypted handshakes (absent: plaintext only). */
export interface IncomingEncryption {
  mode: EncryptionMode;
  randomBytes: RandomBytes;
  /** The infohash whose HASH('req2', infohash) this is, among the torrents we serve. */
  findSkey: (req2: Buffer) => Buffer | undefined;
}

export interface HandshakeReaderInput {
  /** Echoed in the events, to tell concurrent readers apart. */
  id: string;
  socket: PeerSocket;
  address: string;
  clock: Clock;
  timeoutMs: number;
  encryption?: IncomingEncryption;
}

export type HandshakeReaderEvent =
  | {
      type: 'HANDSHAKE.READ';
      id: string;
      /** The raw socket, or the encrypted stream over it after an MSE handshake. */
      socket: PeerSocket;
      address: string;
      handshake: Handshake;
      /** Bytes past the handshake that the socket handed over in the same chunk (object-mode transports only). */
      rest: Buffer;
    }
  | { type: 'HANDSHAKE.FAILED'; id: string; address: string; reason: string };

const EMPTY = Buffer.alloc(0);
/** "\x13BitTorrent protocol": once these match, the handshake is plaintext. */
const PLAINTEXT_PREFIX_LENGTH = 20;

/**
 * Starts reading; the verdict goes to `sendBack`. Returns the function that gives up (destroying the
 * socket) if no verdict came yet. The Server calls this directly rather than spawning an actor per
 * connection: under a connection flood, spawning cost ~150 µs each.
 */
export function startHandshakeReader(input: HandshakeReaderInput, sendBack: (event: HandshakeReaderEvent) => void): () => void {
  const { id, address, encryption } = input;
  let socket = input.socket;
  const bytes = Buffer.alloc(HANDSHAKE_LENGTH);
  let have = 0;
  let settled = false;
  let phase: 'detect' | 'mse' | 'handshake' = 'detect';
  let responder: MseResponder | undefined;
  /** The torrent the MSE handshake named; the inner handshake must name it too. */
  let skey: Buffer | undefined;

  const attach = () => {
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('readable', onReadable);
  };
  const detachSocket = () => {
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    socket.off('error', onError);
  };
  const detach = () => {
    input.clock.clearTimeout(timer);
    detachSocket();
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
    if (skey && !handshake.infoHash.equals(skey)) {
      settled = false;
      fail('the handshake names another torrent than its encrypted handshake');
      return;
    }
    sendBack({ type: 'HANDSHAKE.READ', id, socket, address, handshake, rest } satisfies HandshakeReaderEvent);
  };

  /** The first bytes are not a plaintext handshake: MSE, if the mode allows it. */
  const startMse = (received: Buffer, why: string) => {
    if (!encryption) {
      fail(`not a BitTorrent handshake: ${why}`);
      return;
    }
    const verdict = admitHandshakeKind(encryption.mode, 'encrypted');
    if (!verdict.admit) {
      fail(`${verdict.reason} (not a plaintext handshake: ${why})`);
      return;
    }
    phase = 'mse';
    responder = new MseResponder({
      randomBytes: encryption.randomBytes,
      findSkey: encryption.findSkey,
      selectMethod: (provided) => selectCrypto(encryption.mode, provided),
    });
    feedMse(received);
  };

  const feedMse = (chunk: Buffer) => {
    let step;
    try {
      step = responder!.push(chunk);
    } catch (err) {
      fail(err instanceof ProtocolError ? `encrypted handshake: ${err.message}` : `internal error: ${String(err)}`);
      return;
    }
    for (const out of step.send) socket.write(out);
    if (!step.done) return;
    // Handshake done: read the BitTorrent handshake inside the encrypted stream.
    const { method, encrypt, decrypt, payload } = step.done;
    skey = step.done.skey;
    detachSocket();
    socket = new EncryptedSocket(socket, method === 'rc4' ? 'rc4' : 'mse-plaintext', encrypt, decrypt, payload);
    phase = 'handshake';
    have = 0;
    attach();
  };

  const onReadable = () => {
    while (!settled) {
      if (phase === 'mse') {
        const chunk = socket.read() as Buffer | null;
        if (chunk === null) return;
        feedMse(chunk);
        continue;
      }
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
        if (phase === 'detect') startMse(Buffer.concat([bytes.subarray(0, have), chunk.subarray(take)]), (err as Error).message);
        else fail(`not a BitTorrent handshake: ${(err as Error).message}`);
        continue;
      }
      if (phase === 'detect' && have >= PLAINTEXT_PREFIX_LENGTH) {
        phase = 'handshake';
        const verdict = encryption ? admitHandshakeKind(encryption.mode, 'plaintext') : { admit: true as const };
        if (!verdict.admit) {
          fail(verdict.reason);
          return;
        }
      }
      if (have === HANDSHAKE_LENGTH) {
        succeed(take < chunk.length ? chunk.subarray(take) : EMPTY);
        return;
      }
    }
  };
  const onEnd = () => fail(`connection closed during the ${phase === 'mse' ? 'encrypted ' : ''}handshake`);
  const onClose = () => fail(`connection closed during the ${phase === 'mse' ? 'encrypted ' : ''}handshake`);
  const onError = (err: Error) => fail(`socket error during the handshake: ${err.message}`);

  const timer = input.clock.setTimeout(
    () =>
      fail(
        phase === 'mse'
          ? `handshake timed out after ${input.timeoutMs} ms (in the encrypted handshake)`
          : `handshake timed out after ${input.timeoutMs} ms (${have} of ${HANDSHAKE_LENGTH} bytes${skey ? ', encrypted' : ''})`,
      ),
    input.timeoutMs,
  );
  attach();
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
