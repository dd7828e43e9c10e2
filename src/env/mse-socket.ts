import { Duplex } from 'node:stream';
import type { Rc4 } from '../protocol/mse/index.js';
import type { ConnectionEncryption } from '../policy/encryption.js';
import { offerTransientReads, takeTransientReads } from './transient-reads.js';
import { type PeerSocket, writeCallbackReleasesBuffer } from './transport.js';

/** Ciphertext buffers are reused once the raw socket has written them; larger batches get their own. */
const CIPHER_BUFFER_BYTES = 256 * 1024;
/** Shared by every encrypted connection of the process: a few are in flight at once. */
const MAX_SPARE_CIPHER_BUFFERS = 8;
const spareCipherBuffers: Buffer[] = [];

/**
 * A peer connection after an MSE handshake: a byte stream over the raw socket that decrypts what
 * arrives and encrypts what is written (RC4), or passes bytes through when the plaintext method was
 * selected. The codec above sees the same bytes as on a plaintext connection.
 *
 * Backpressure is the raw socket's: a write completes only when the raw socket accepted its
 * ciphertext without needing a drain (so `writableNeedDrain` here follows the socket's), and the raw
 * socket is paused while our readable side is full. Received chunks are decrypted in place; a
 * corked batch (a turn's blocks and messages) is encrypted into one buffer and written once.
 *
 * Over a TCP socket that reads into the shared buffer (transient-reads.ts) this stream does too:
 * each read is decrypted where it lies and handed to the peer wire as a view, and ciphertext goes
 * out in buffers reused once the kernel has them. Encrypting costs the cipher, not the collector.
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
    this.rawReleasesBuffers = writeCallbackReleasesBuffer(raw);
    if (payload.length > 0) this.push(payload);
    if (takeTransientReads(raw, this.onView)) {
      this.viewReader = offerTransientReads(this);
      // Copies the raw socket queued before go first, before it flows again.
      for (let waiting = raw.read() as Buffer | null; waiting !== null; waiting = raw.read() as Buffer | null) this.onData(waiting);
    } else {
      raw.on('data', this.onData);
    }
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

  /** Encrypting, a write's bytes are copied into ciphertext before its callback; passed through, they are not. */
  get releasesWrittenBuffers(): boolean {
    return this.encrypt !== undefined;
  }

  private readonly rawReleasesBuffers: boolean;
  /** The reader this stream's views go to, when the raw socket reads transiently (see above). */
  private readonly viewReader: (() => ((chunk: Buffer) => void) | undefined) | undefined;

  // A chunk a socket emits is the reader's to keep or change: it is decrypted where it lies.
  private readonly onData = (chunk: Buffer) => {
    if (!this.push(this.decrypt ? this.decrypt.process(chunk, chunk) : chunk)) this.raw.pause();
  };
  // A view of the shared read buffer, ours until we return: decrypted there, handed on or copied.
  private readonly onView = (chunk: Buffer) => {
    if (this.destroyed) return;
    if (this.decrypt) this.decrypt.process(chunk, chunk);
    const reader = this.viewReader?.();
    if (reader) reader(chunk);
    else if (!this.push(Buffer.from(chunk))) this.raw.pause();
  };
  private readonly onEnd = () => this.push(null);
  private readonly onError = (err: Error) => this.destroy(err);
  private readonly onClose = () => this.destroy();

  override _read(): void {
    this.raw.resume();
  }

  // Views handed on bypass our readable side: pausing it must stop the raw socket's reads itself
  // (the downloader pauses its peers while its disk writes catch up).
  override pause(): this {
    if (this.viewReader) this.raw.pause();
    return super.pause();
  }

  override resume(): this {
    super.resume();
    if (this.viewReader) this.raw.resume();
    return this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.encrypt) return this.forward(chunk, callback);
    this.sendEncrypted([chunk], chunk.length, callback);
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
    this.sendEncrypted(chunks.map(({ chunk }) => chunk), total, callback);
  }

  /** Encrypts the chunks into one buffer, reused after the raw socket's write when it says so. */
  private sendEncrypted(chunks: readonly Buffer[], total: number, callback: (error?: Error | null) => void): void {
    const reuse = this.rawReleasesBuffers && total <= CIPHER_BUFFER_BYTES;
    const whole = reuse ? (spareCipherBuffers.pop() ?? Buffer.allocUnsafeSlow(CIPHER_BUFFER_BYTES)) : Buffer.allocUnsafe(total);
    const out = whole.subarray(0, total);
    let at = 0;
    for (const chunk of chunks) {
      this.encrypt!.process(chunk, out, at);
      at += chunk.length;
    }
    const written = reuse ? () => void (spareCipherBuffers.length < MAX_SPARE_CIPHER_BUFFERS && spareCipherBuffers.push(whole)) : undefined;
    this.forward(out, callback, written);
  }

  private forward(bytes: Buffer, callback: (error?: Error | null) => void, written?: () => void): void {
    if (this.raw.destroyed) return callback(new Error('the connection is closed'));
    if (this.raw.write(bytes, written)) return callback();
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
