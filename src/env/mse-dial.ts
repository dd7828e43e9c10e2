import { MseInitiator, type RandomBytes } from '../protocol/mse/index.js';
import { ProtocolError } from '../protocol/errors.js';
import type { Clock } from './clock.js';
import { EncryptedSocket } from './mse-socket.js';
import type { PeerSocket } from './transport.js';

export interface MseDialOptions {
  /** The torrent's infohash. */
  skey: Buffer;
  /** crypto_provide (src/policy/encryption.ts). */
  cryptoProvide: number;
  randomBytes: RandomBytes;
  clock: Clock;
  /** The whole MSE handshake must finish within this long (on `clock`). */
  timeoutMs: number;
}

/** The MSE handshake failed (the peer may not speak MSE): the dial may fall back to plaintext. */
export class MseHandshakeError extends Error {}

/**
 * Runs the MSE handshake as side A over a freshly connected socket and resolves with the encrypted
 * stream (the BitTorrent handshake follows inside it). On failure the socket is destroyed and the
 * promise rejects with an MseHandshakeError saying why.
 */
export function negotiateOutgoing(socket: PeerSocket, options: MseDialOptions): Promise<EncryptedSocket> {
  return new Promise((resolve, reject) => {
    let initiator: MseInitiator;
    try {
      initiator = new MseInitiator({ skey: options.skey, cryptoProvide: options.cryptoProvide, randomBytes: options.randomBytes });
    } catch (err) {
      socket.destroy();
      reject(err);
      return;
    }
    let settled = false;
    const detach = () => {
      options.clock.clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      detach();
      socket.on('error', () => undefined);
      socket.destroy();
      reject(new MseHandshakeError(`encrypted handshake failed: ${reason}`));
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      let step;
      try {
        step = initiator.push(chunk);
      } catch (err) {
        fail(err instanceof ProtocolError ? err.message : `internal error: ${String(err)}`);
        return;
      }
      for (const bytes of step.send) socket.write(bytes);
      if (!step.done) return;
      settled = true;
      // Pause first: between taking our listener off and the stream putting its own on, no chunk may be emitted.
      socket.pause();
      detach();
      const { method, encrypt, decrypt, payload } = step.done;
      resolve(new EncryptedSocket(socket, method === 'rc4' ? 'rc4' : 'mse-plaintext', encrypt, decrypt, payload));
    };
    const onEnd = () => fail('connection closed by the peer');
    const onError = (err: Error) => fail(`socket error: ${err.message}`);
    const timer = options.clock.setTimeout(() => fail(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.write(initiator.start());
  });
}
