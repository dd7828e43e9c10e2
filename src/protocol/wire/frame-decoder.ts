import { asBuffer } from './as-buffer.js';
import { checkAnnouncedLength, checkFrameHeader, decodeCheckedBody, DEFAULT_MAX_MESSAGE_LENGTH, PIECE_HEADER_BYTES } from './codec.js';
import { checkHandshakePrefix, decodeHandshake, HANDSHAKE_LENGTH, type Handshake } from './handshake.js';
import { KEEP_ALIVE, LENGTH_PREFIX_BYTES, MessageId, type PeerMessage } from './messages.js';

/** What a FrameDecoder yields: the handshake (first, when expected), then peer messages. */
export type WireMessage = Handshake | PeerMessage;

export interface FrameDecoderOptions {
  /** Expect a 68-byte handshake before the first frame (default false: frames only). */
  expectHandshake?: boolean;
  /** Largest frame body (id + payload) accepted; default DEFAULT_MAX_MESSAGE_LENGTH (1 MiB). */
  maxMessageLength?: number;
}

/**
 * Frames up to this size get their whole buffer as soon as their header is known; larger ones
 * (big bitfields) grow by doubling as bytes arrive, so a 5-byte header announcing 1 MiB costs
 * memory only in proportion to what the peer has actually sent.
 */
const EAGER_ALLOCATION_LIMIT = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental peer-wire decoder: feed it socket chunks of any size, get whole messages back.
 *
 * - Frames lying wholly inside one chunk are decoded in place: piece blocks and extended payloads
 *   are views into that chunk (do not reuse the chunk's memory afterwards, e.g. with a static
 *   `onread` buffer, without copying first). Only a frame split across chunks is copied, once;
 *   except a piece frame split right after its 13-byte header (a writer's header-then-block writes
 *   delivered as they were written, as the simulator does) whose whole block is in the next chunk:
 *   that block is a view of the next chunk.
 * - Lengths are checked on the 4-byte prefix (max length) and the id byte (per-message length)
 *   before the body is buffered; at most one incomplete frame (≤ max message length + 4 bytes) is
 *   held between pushes.
 * - The first error is final: it is thrown again by every later push. Messages decoded earlier in
 *   the failing chunk are dropped with it, since the connection is to be closed anyway.
 */
export class FrameDecoder {
  readonly maxMessageLength: number;
  private awaitingHandshake: boolean;
  /** The incomplete unit (handshake or frame, prefix included) carried over between pushes. */
  private pending: Buffer = EMPTY;
  private pendingLength = 0;
  private failure: { error: unknown } | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`maxMessageLength ${max} is not an unsigned 32-bit integer`);
    }
    this.maxMessageLength = max;
    this.awaitingHandshake = options.expectHandshake ?? false;
  }

  /** Bytes received but not yet part of a decoded message. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /** Memory held for the incomplete message (≥ bufferedBytes). */
  get retainedBytes(): number {
    return this.pending.length;
  }

  get expectingHandshake(): boolean {
    return this.awaitingHandshake;
  }

  /** The error that stopped this decoder, if any. */
  get error(): unknown {
    return this.failure?.error;
  }

  push(chunk: Uint8Array): WireMessage[] {
    if (this.failure) throw this.failure.error;
    const buf = asBuffer(chunk);
    const out: WireMessage[] = [];
    try {
      const pos = this.pendingLength > 0 ? this.fillPending(buf, out) : 0;
      if (pos < buf.length) this.decodeInPlace(buf, pos, out);
    } catch (error) {
      this.failure = { error };
      this.pending = EMPTY;
      this.pendingLength = 0;
      throw error;
    }
    return out;
  }

  /** Decodes every whole unit of `buf` from `pos` without copying; stashes the incomplete tail. */
  private decodeInPlace(buf: Buffer, pos: number, out: WireMessage[]): void {
    const end = buf.length;
    if (this.awaitingHandshake) {
      if (end - pos < HANDSHAKE_LENGTH) {
        checkHandshakePrefix(buf.subarray(pos));
        this.stash(buf, pos, HANDSHAKE_LENGTH);
        return;
      }
      out.push(decodeHandshake(buf.subarray(pos, pos + HANDSHAKE_LENGTH)));
      this.awaitingHandshake = false;
      pos += HANDSHAKE_LENGTH;
    }
    const max = this.maxMessageLength;
    while (end - pos >= LENGTH_PREFIX_BYTES) {
      const length = buf.readUInt32BE(pos);
      if (length === 0) {
        out.push(KEEP_ALIVE);
        pos += LENGTH_PREFIX_BYTES;
        continue;
      }
      checkAnnouncedLength(length, max);
      if (end - pos === LENGTH_PREFIX_BYTES) break;
      const start = pos + LENGTH_PREFIX_BYTES;
      checkFrameHeader(buf[start]!, length);
      if (end - start < length) break;
      out.push(decodeCheckedBody(buf, start, length));
      pos = start + length;
    }
    if (pos < end) {
      const prefixComplete = end - pos >= LENGTH_PREFIX_BYTES;
      this.stash(buf, pos, LENGTH_PREFIX_BYTES + (prefixComplete ? buf.readUInt32BE(pos) : 0));
    }
  }

  /** Copies an incomplete unit (already checked as far as it goes) into `pending`. */
  private stash(buf: Buffer, pos: number, unitLength: number): void {
    const available = buf.length - pos;
    // A piece header alone gets a buffer of its size: its block may well come whole in the next chunk.
    if (available <= PIECE_HEADER_BYTES) this.pending = Buffer.allocUnsafe(available);
    else this.reserve(available, unitLength);
    buf.copy(this.pending, 0, pos);
    this.pendingLength = available;
  }

  /** Appends from `buf` to the pending unit until it completes or `buf` runs out; returns bytes used. */
  private fillPending(buf: Buffer, out: WireMessage[]): number {
    if (this.pendingLength === PIECE_HEADER_BYTES && !this.awaitingHandshake && this.pending[LENGTH_PREFIX_BYTES] === MessageId.Piece) {
      // The header was checked when it arrived; a block wholly in `buf` needs no copy.
      const blockLength = LENGTH_PREFIX_BYTES + this.pending.readUInt32BE(0) - PIECE_HEADER_BYTES;
      if (blockLength <= buf.length) {
        const header = this.pending;
        this.clearPending();
        out.push({ type: 'piece', index: header.readUInt32BE(5), begin: header.readUInt32BE(9), block: buf.subarray(0, blockLength) });
        return blockLength;
      }
    }
    let pos = 0;
    while (pos < buf.length) {
      const had = this.pendingLength;
      const unitLength = this.awaitingHandshake
        ? HANDSHAKE_LENGTH
        : had < LENGTH_PREFIX_BYTES
          ? LENGTH_PREFIX_BYTES
          : LENGTH_PREFIX_BYTES + this.pending.readUInt32BE(0);
      const n = Math.min(unitLength - had, buf.length - pos);
      this.reserve(had + n, unitLength);
      buf.copy(this.pending, had, pos, pos + n);
      this.pendingLength = had + n;
      pos += n;

      if (this.awaitingHandshake) {
        if (this.pendingLength < HANDSHAKE_LENGTH) {
          checkHandshakePrefix(this.pending.subarray(0, this.pendingLength));
          return pos;
        }
        out.push(decodeHandshake(this.pending.subarray(0, HANDSHAKE_LENGTH)));
        this.awaitingHandshake = false;
        this.clearPending();
        return pos;
      }
      if (this.pendingLength < LENGTH_PREFIX_BYTES) return pos;
      const length = this.pending.readUInt32BE(0);
      if (had < LENGTH_PREFIX_BYTES) {
        // The prefix just completed: check it, then loop to gather the body.
        if (length === 0) {
          out.push(KEEP_ALIVE);
          this.clearPending();
          return pos;
        }
        checkAnnouncedLength(length, this.maxMessageLength);
        continue;
      }
      if (had === LENGTH_PREFIX_BYTES) checkFrameHeader(this.pending[LENGTH_PREFIX_BYTES]!, length);
      if (this.pendingLength < LENGTH_PREFIX_BYTES + length) return pos;
      // Views into `pending` escape in the message, so it is dropped rather than reused.
      const frame = this.pending;
      this.clearPending();
      out.push(decodeCheckedBody(frame, LENGTH_PREFIX_BYTES, length));
      return pos;
    }
    return pos;
  }

  /** Makes `pending` hold at least `needed` bytes of a unit that will be `unitLength` long. */
  private reserve(needed: number, unitLength: number): void {
    if (this.pending.length >= needed) return;
    const capacity =
      unitLength <= EAGER_ALLOCATION_LIMIT
        ? unitLength
        : Math.min(unitLength, Math.max(EAGER_ALLOCATION_LIMIT, needed, this.pending.length * 2));
    const grown = Buffer.allocUnsafe(capacity);
    this.pending.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
  }

  private clearPending(): void {
    this.pending = EMPTY;
    this.pendingLength = 0;
  }
}
