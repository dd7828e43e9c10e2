import { Duplex } from 'node:stream';
import type { Rc4 } from '../protocol/mse/index.js';
import type { ConnectionEncryption } from '../policy/encryption.js';
import type { PeerSocket } from './transport.js';

/**
 * A peer connection after an MSE handshake: a byte stream over the raw socket that decrypts what
 * arrives and encrypts what is written (RC4), or passes bytes through when the plaintext method was
 * selected. The codec above sees the same bytes as on a plaintext connection.
 *
 * Backpressure is the raw socket's: a write completes only when the raw socket accepted its
 * ciphertext without needing a drain (so `writableNeedDrain` here follows the socket's), and the raw
 * socket is paused while our readable side is full. Received chunks are decrypted in place; a
 * corked batch (a block's header and payload) is encrypted into one buffer and written once.
 */
export class EncryptedSocket extends Duplex implements PeerSocket {
  constructor(
    private readonly raw: PeerSocket,
    readonly encryption: Exclude<ConnectionEncryption, 'none'>,
    private readonly encrypt: Rc4 | undefined,
    private readonly decrypt: Rc4 | undefined,
    /** Bytes already received past the handshake, decrypted. */
    payload: Buffer,
  ) {
    super({ readableHighWaterMark: raw.readableHighWaterMark, writableHighWaterMark: 64 * 1024 });
    if (payload.length > 0) this.push(payload);
    raw.on('data', this.onData);
    raw.on('end', this.onEnd);
    raw.on('error', this.onError);
    raw.on('close', this.onClose);
    raw.resume();
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.raw.remotePort;
  }

  get transport(): PeerSocket['transport'] {
    return this.raw.transport;
  }

  // A chunk a socket emits is the reader's to keep or change: it is decrypted where it lies.
  private readonly onData = (chunk: Buffer) => {
    if (!this.push(this.decrypt ? this.decrypt.process(chunk, chunk) : chunk)) this.raw.pause();
  };
  private readonly onEnd = () => this.push(null);
  private readonly onError = (err: Error) => this.destroy(err);
  private readonly onClose = () => this.destroy();

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.forward(this.encrypt ? this.encrypt.update(chunk) : chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    if (!this.encrypt) {
      this.raw.cork();
      for (let k = 0; k < chunks.length - 1; k++) this.raw.write(chunks[k]!.chunk);
      this.raw.uncork();
      this.forward(chunks[chunks.length - 1]!.chunk, callback);
      return;
    }
    let total = 0;
    for (const { chunk } of chunks) total += chunk.length;
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const { chunk } of chunks) {
      this.encrypt.process(chunk, out, at);
      at += chunk.length;
    }
    this.forward(out, callback);
  }

  private forward(bytes: Buffer, callback: (error?: Error | null) => void): void {
    if (this.raw.destroyed) return callback(new Error('the connection is closed'));
    if (this.raw.write(bytes)) return callback();
    this.raw.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.off('data', this.onData);
    this.raw.off('end', this.onEnd);
    this.raw.off('close', this.onClose);
    // Keep a listener for late errors of the raw socket, so none is unhandled.
    this.raw.off('error', this.onError);
    this.raw.on('error', () => undefined);
    this.raw.destroy();
    callback(error);
  }
}

/** The encryption a connection ended up with (a socket that went through no MSE handshake: none). */
export function encryptionOf(socket: PeerSocket): ConnectionEncryption {
  return socket instanceof EncryptedSocket ? socket.encryption : 'none';
}
