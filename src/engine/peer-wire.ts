import { Observable, ReplaySubject, Subject } from 'rxjs';
import type { Clock } from '../env/clock.js';
import { type PeerSocket, writeCallbackReleasesBuffer } from '../env/transport.js';
import { readTransiently } from '../env/transient-reads.js';
import { ProtocolError } from '../protocol/errors.js';
import {
  FrameDecoder,
  type HandshakeInit,
  type PeerMessage,
  type WireMessage,
  encodeHandshake,
  encodeMessage,
  encodePieceHeader,
  withOwnBytes,
} from '../protocol/wire/index.js';
import { RateMeter } from './rate-meter.js';
import { socketAddress } from '../util/socket-address.js';

export interface PeerWireOptions {
  clock: Clock;
  /** Incoming connections whose handshake was already read by the server pass false. */
  expectHandshake?: boolean;
  maxMessageLength?: number;
  /** Bytes already read from the socket (after a handshake read elsewhere). */
  initialBytes?: Buffer;
  /** Sees every message in both directions (traces, the dashboard); block payloads are the live Buffers. */
  tap?: WireTap;
}

/** An observer of one connection's messages. It must not keep or mutate block payloads. */
export type WireTap = (direction: 'in' | 'out', message: WireMessage | { type: 'handshake-sent'; init: HandshakeInit }) => void;

/**
 * One peer connection at the byte level: socket in, decoded messages out (an RxJS stream), typed
 * messages in, bytes out. Block payloads are Buffer views, written with the 13-byte header in one
 * corked write, never copied. Backpressure is the socket's own: `congested` mirrors
 * `writableNeedDrain` and `drain$` fires when it clears; `pauseReading` stops the inbound flow.
 * Received blocks are views valid only while their message is dispatched (see transient-reads.ts);
 * every other message owns its bytes.
 */
export class PeerWire {
  readonly address: string;
  private readonly decoder: FrameDecoder;
  private readonly messagesSubject = new Subject<WireMessage>();
  private readonly closedSubject = new ReplaySubject<string>(1);
  private readonly drainSubject = new Subject<void>();
  private closeReason: string | undefined;
  readonly download = new RateMeter();
  readonly upload = new RateMeter();
  lastReceivedAt: number;
  lastSentAt: number;
  /**
   * Whether sendBlock's `onWritten` is ever called: only on sockets that hand bytes to the kernel
   * when their write completes (not those that queue them, as uTP does for resending, or that we
   * cannot see into).
   */
  readonly reportsWrites: boolean;
  private readonly transientChunks: boolean;
  /** Corked until the current turn of the event loop ends (see holdWrites). */
  private writesHeld = false;

  /** Every decoded message, in order. Completes when the connection closes. */
  readonly messages$: Observable<WireMessage> = this.messagesSubject.asObservable();
  /** Emits the reason once, when the connection has closed for any cause. */
  readonly closed$: Observable<string> = this.closedSubject.asObservable();
  readonly drain$: Observable<void> = this.drainSubject.asObservable();

  constructor(
    private readonly socket: PeerSocket,
    private readonly options: PeerWireOptions,
  ) {
    this.address = socketAddress(socket);
    this.reportsWrites = writeCallbackReleasesBuffer(socket);
    this.decoder = new FrameDecoder({ expectHandshake: options.expectHandshake ?? true, maxMessageLength: options.maxMessageLength });
    this.lastReceivedAt = this.lastSentAt = options.clock.now();
    // A dialled TCP socket reads into a buffer reused for every read: its chunks are transient.
    this.transientChunks = readTransiently(socket, (chunk) => this.receive(chunk));
    if (!this.transientChunks) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.drainSubject.next());
    socket.on('error', (err: Error) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('connection closed by peer'));
    socket.on('end', () => this.close('connection closed by peer'));
    if (options.initialBytes?.length) queueMicrotask(() => this.receive(options.initialBytes!));
  }

  /** The injected clock's time, for the machines that watch this connection. */
  clockNow(): number {
    return this.options.clock.now();
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get reason(): string | undefined {
    return this.closeReason;
  }

  /** True while the socket's buffer is above its high-water mark: stop producing until drain$. */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  sendHandshake(init: HandshakeInit): void {
    this.options.tap?.('out', { type: 'handshake-sent', init });
    this.write(encodeHandshake(init));
  }

  send(message: PeerMessage): boolean {
    if (message.type === 'piece') return this.sendBlock(message.index, message.begin, message.block);
    if (this.closed) return false;
    this.options.tap?.('out', message);
    return this.write(encodeMessage(message));
  }

  /** Sends many messages with one system call (a pipeline refill is dozens of 17-byte requests). */
  sendAll(messages: readonly PeerMessage[]): void {
    if (this.closed || messages.length === 0) return;
    this.socket.cork();
    for (const message of messages) this.send(message);
    this.socket.uncork();
  }

  /**
   * A `piece` message: header and block written together without concatenating them. `onWritten`
   * is called once the block's memory may be reused, if `reportsWrites`.
   */
  sendBlock(index: number, begin: number, block: Buffer, onWritten?: () => void): boolean {
    if (this.closed) return false;
    this.options.tap?.('out', { type: 'piece', index, begin, block });
    this.holdWrites();
    this.socket.cork();
    this.socket.write(encodePieceHeader(index, begin, block.length));
    const ok = this.socket.write(block, this.reportsWrites ? onWritten : undefined);
    this.socket.uncork();
    const now = this.options.clock.now();
    this.upload.add(block.length, now);
    this.lastSentAt = now;
    return ok;
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.closed) this.socket.resume();
  }

  close(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.socket.destroy();
    this.messagesSubject.complete();
    this.drainSubject.complete();
    this.closedSubject.next(reason);
    this.closedSubject.complete();
  }

  private write(bytes: Buffer): boolean {
    if (this.closed) return false;
    this.holdWrites();
    this.lastSentAt = this.options.clock.now();
    return this.socket.write(bytes);
  }

  /**
   * On TCP, what is written in one turn of the event loop leaves in one system call and one
   * segment: a verified piece's `have` to every peer and the requests it frees, a run of blocks.
   * Sent one by one, in a swarm those are thousands of 9-byte writes, each a wake-up and a read at
   * the other end. (Other sockets write as they are told: the simulator's order stays its own.)
   */
  private holdWrites(): void {
    if (this.writesHeld || !this.reportsWrites) return;
    this.writesHeld = true;
    this.socket.cork();
    process.nextTick(this.releaseWrites);
  }

  private readonly releaseWrites = (): void => {
    this.writesHeld = false;
    this.socket.uncork();
  };

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let messages: WireMessage[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      this.close(err instanceof ProtocolError ? `protocol error: ${err.message}` : `internal error: ${String(err)}`);
      return;
    }
    const now = this.options.clock.now();
    this.lastReceivedAt = now;
    for (let message of messages) {
      if (this.closed) return;
      if (message.type === 'piece') this.download.add(message.block.length, now);
      else if (this.transientChunks && message.type !== 'handshake') message = withOwnBytes(message);
      this.options.tap?.('in', message);
      this.messagesSubject.next(message);
    }
  }
}
