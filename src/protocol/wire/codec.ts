import { asBuffer } from './as-buffer.js';
import { WireError } from './errors.js';
import {
  CHOKE,
  HAVE_ALL,
  HAVE_NONE,
  INTERESTED,
  KEEP_ALIVE,
  LENGTH_PREFIX_BYTES,
  MessageId,
  NOT_INTERESTED,
  type PeerMessage,
  UNCHOKE,
} from './messages.js';

/**
 * Largest frame body (id + payload, without the 4-byte prefix) we accept by default: 1 MiB, the
 * limit libtorrent applies to every incoming packet (`packet_too_large`). It fits a bitfield of
 * 8,388,600 pieces (libtorrent itself refuses torrents above 2,097,152 pieces, a 262,145-byte frame),
 * any 16 KiB block, and the 16 KiB ut_metadata pieces. A `1 MiB + 13` style limit sized for blocks
 * would be no safer: what protects us is that the limit is checked on the announced length before
 * any of the body is buffered.
 */
export const DEFAULT_MAX_MESSAGE_LENGTH = 1024 * 1024;

/** `<len><id=7><index><begin>`: what precedes a block on the wire. */
export const PIECE_HEADER_BYTES = 13;

/** Frame body bytes (including the id) of a piece message before its block. */
const PIECE_BODY_HEADER = 9;

const MESSAGE_NAMES: { [id: number]: string } = {};
for (const [name, id] of Object.entries(MessageId)) MESSAGE_NAMES[id] = name;

// Allowed frame body lengths per id; -1 = id unknown. Body = id byte + payload.
const MIN_BODY = new Int32Array(256).fill(-1);
const MAX_BODY = new Float64Array(256);
function allow(id: number, min: number, max = min): void {
  MIN_BODY[id] = min;
  MAX_BODY[id] = max;
}
allow(MessageId.Choke, 1);
allow(MessageId.Unchoke, 1);
allow(MessageId.Interested, 1);
allow(MessageId.NotInterested, 1);
allow(MessageId.Have, 5);
allow(MessageId.Bitfield, 1, Infinity);
allow(MessageId.Request, 13);
allow(MessageId.Piece, PIECE_BODY_HEADER, Infinity);
allow(MessageId.Cancel, 13);
allow(MessageId.Port, 3);
allow(MessageId.Suggest, 5);
allow(MessageId.HaveAll, 1);
allow(MessageId.HaveNone, 1);
allow(MessageId.Reject, 13);
allow(MessageId.AllowedFast, 5);
allow(MessageId.Extended, 2, Infinity);

/**
 * Refuses an unknown id or a body length that does not fit it. Called as soon as the length prefix
 * and id byte are known, so a malformed frame fails before its body is buffered.
 */
export function checkFrameHeader(id: number, bodyLength: number): void {
  const min = MIN_BODY[id] ?? -1;
  if (min < 0) throw new WireError('unknown-message', `unknown message id ${id}`);
  const max = MAX_BODY[id] ?? 0;
  if (bodyLength < min || bodyLength > max) {
    const expected = max === min ? `${min}` : `at least ${min}`;
    throw new WireError(
      'invalid-length',
      `${MESSAGE_NAMES[id]} message with a ${bodyLength}-byte body (expected ${expected} bytes including the id)`,
    );
  }
}

/** Refuses an announced frame length above `max`, before anything is buffered for it. */
export function checkAnnouncedLength(bodyLength: number, max: number): void {
  if (bodyLength > max) {
    throw new WireError('message-too-long', `frame announces ${bodyLength} bytes, more than the maximum of ${max}`);
  }
}

/** Decodes one frame body (id + payload, without the length prefix); an empty body is a keep-alive. */
export function decodeMessage(
  frameBody: Uint8Array,
  options: { maxMessageLength?: number } = {},
): PeerMessage {
  const buf = asBuffer(frameBody);
  if (buf.length === 0) return KEEP_ALIVE;
  checkAnnouncedLength(buf.length, options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
  checkFrameHeader(buf[0]!, buf.length);
  return decodeCheckedBody(buf, 0, buf.length);
}

/**
 * Decodes the body at `buf[start, start + length)` whose header `checkFrameHeader` has accepted.
 * Piece blocks and extended payloads are views into `buf`; bitfields are copied, because a peer's
 * bitfield lives as long as the connection and should not pin the whole received chunk.
 */
export function decodeCheckedBody(buf: Buffer, start: number, length: number): PeerMessage {
  const id = buf[start]!;
  switch (id) {
    case MessageId.Choke:
      return CHOKE;
    case MessageId.Unchoke:
      return UNCHOKE;
    case MessageId.Interested:
      return INTERESTED;
    case MessageId.NotInterested:
      return NOT_INTERESTED;
    case MessageId.HaveAll:
      return HAVE_ALL;
    case MessageId.HaveNone:
      return HAVE_NONE;
    case MessageId.Have:
      return { type: 'have', index: buf.readUInt32BE(start + 1) };
    case MessageId.Suggest:
      return { type: 'suggest', index: buf.readUInt32BE(start + 1) };
    case MessageId.AllowedFast:
      return { type: 'allowed-fast', index: buf.readUInt32BE(start + 1) };
    case MessageId.Bitfield:
      return { type: 'bitfield', bitfield: Buffer.from(buf.subarray(start + 1, start + length)) };
    case MessageId.Request:
    case MessageId.Cancel:
    case MessageId.Reject:
      return {
        type: id === MessageId.Request ? 'request' : id === MessageId.Cancel ? 'cancel' : 'reject',
        index: buf.readUInt32BE(start + 1),
        begin: buf.readUInt32BE(start + 5),
        length: buf.readUInt32BE(start + 9),
      };
    case MessageId.Piece:
      return {
        type: 'piece',
        index: buf.readUInt32BE(start + 1),
        begin: buf.readUInt32BE(start + 5),
        block: buf.subarray(start + PIECE_BODY_HEADER, start + length),
      };
    case MessageId.Port:
      return { type: 'port', port: buf.readUInt16BE(start + 1) };
    case MessageId.Extended:
      return { type: 'extended', id: buf[start + 1]!, payload: buf.subarray(start + 2, start + length) };
    default:
      throw new WireError('unknown-message', `unknown message id ${id}`);
  }
}

/** The whole frame (length prefix included) for one message. Piece blocks are copied; see `encodePieceHeader`. */
export function encodeMessage(msg: PeerMessage): Buffer {
  switch (msg.type) {
    case 'keep-alive':
      return Buffer.alloc(LENGTH_PREFIX_BYTES);
    case 'choke':
      return idOnly(MessageId.Choke);
    case 'unchoke':
      return idOnly(MessageId.Unchoke);
    case 'interested':
      return idOnly(MessageId.Interested);
    case 'not-interested':
      return idOnly(MessageId.NotInterested);
    case 'have-all':
      return idOnly(MessageId.HaveAll);
    case 'have-none':
      return idOnly(MessageId.HaveNone);
    case 'have':
      return withIndex(MessageId.Have, msg.index);
    case 'suggest':
      return withIndex(MessageId.Suggest, msg.index);
    case 'allowed-fast':
      return withIndex(MessageId.AllowedFast, msg.index);
    case 'request':
      return withBlockRef(MessageId.Request, msg.index, msg.begin, msg.length);
    case 'cancel':
      return withBlockRef(MessageId.Cancel, msg.index, msg.begin, msg.length);
    case 'reject':
      return withBlockRef(MessageId.Reject, msg.index, msg.begin, msg.length);
    case 'bitfield': {
      const out = frame(MessageId.Bitfield, msg.bitfield.length);
      out.set(msg.bitfield, 5);
      return out;
    }
    case 'piece': {
      const out = Buffer.allocUnsafe(PIECE_HEADER_BYTES + msg.block.length);
      writePieceHeader(out, 0, msg.index, msg.begin, msg.block.length);
      out.set(msg.block, PIECE_HEADER_BYTES);
      return out;
    }
    case 'port': {
      if (!Number.isInteger(msg.port) || msg.port < 0 || msg.port > 0xffff) {
        throw new RangeError(`port ${msg.port} is not a 16-bit port number`);
      }
      const out = frame(MessageId.Port, 2);
      out.writeUInt16BE(msg.port, 5);
      return out;
    }
    case 'extended': {
      if (!Number.isInteger(msg.id) || msg.id < 0 || msg.id > 0xff) {
        throw new RangeError(`extended message id ${msg.id} is not a byte`);
      }
      const out = frame(MessageId.Extended, 1 + msg.payload.length);
      out[5] = msg.id;
      out.set(msg.payload, 6);
      return out;
    }
  }
}

/**
 * The 13 bytes in front of a block of `blockLength` bytes: write this and then the block itself
 * (e.g. two `socket.write` calls, or `writev`) so the block is never copied into a frame.
 */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Buffer {
  const out = Buffer.allocUnsafe(PIECE_HEADER_BYTES);
  writePieceHeader(out, 0, index, begin, blockLength);
  return out;
}

/** Writes a piece header into `target` at `offset` (for writers that batch several frames). */
export function writePieceHeader(target: Buffer, offset: number, index: number, begin: number, blockLength: number): void {
  target.writeUInt32BE(uint32(PIECE_BODY_HEADER + blockLength, 'frame length'), offset);
  target[offset + 4] = MessageId.Piece;
  target.writeUInt32BE(uint32(index, 'index'), offset + 5);
  target.writeUInt32BE(uint32(begin, 'begin'), offset + 9);
}

function frame(id: number, payloadLength: number): Buffer {
  const out = Buffer.allocUnsafe(5 + payloadLength);
  out.writeUInt32BE(1 + payloadLength, 0);
  out[4] = id;
  return out;
}

function idOnly(id: number): Buffer {
  return frame(id, 0);
}

function withIndex(id: number, index: number): Buffer {
  const out = frame(id, 4);
  out.writeUInt32BE(uint32(index, 'index'), 5);
  return out;
}

function withBlockRef(id: number, index: number, begin: number, length: number): Buffer {
  const out = frame(id, 12);
  out.writeUInt32BE(uint32(index, 'index'), 5);
  out.writeUInt32BE(uint32(begin, 'begin'), 9);
  out.writeUInt32BE(uint32(length, 'length'), 13);
  return out;
}

/** Encoding bad numbers is our bug, not the peer's: a RangeError, not a WireError. */
function uint32(value: number, what: string): number {
  if (value >>> 0 !== value) throw new RangeError(`${what} ${value} is not an unsigned 32-bit integer`);
  return value;
}
