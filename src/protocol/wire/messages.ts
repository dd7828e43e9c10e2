/**
 * Peer wire messages after the handshake: BEP 3 core, BEP 5 `port`, BEP 6 fast extension and the
 * BEP 10 `extended` envelope. Every frame on the wire is `<uint32 length><uint8 id><payload>`, with a
 * zero length meaning keep-alive.
 */

/** Message ids (the byte after the length prefix). */
export const MessageId = {
  Choke: 0,
  Unchoke: 1,
  Interested: 2,
  NotInterested: 3,
  Have: 4,
  Bitfield: 5,
  Request: 6,
  Piece: 7,
  Cancel: 8,
  /** BEP 5: the sender's DHT port. */
  Port: 9,
  /** BEP 6 fast extension. */
  Suggest: 13,
  HaveAll: 14,
  HaveNone: 15,
  Reject: 16,
  AllowedFast: 17,
  /** BEP 10: an extension message; the first payload byte is the extended id. */
  Extended: 20,
} as const;
export type MessageId = (typeof MessageId)[keyof typeof MessageId];

/** BEP 10: extended message id 0 is the extension handshake (a bencoded dictionary with `m`). */
export const EXTENDED_HANDSHAKE_ID = 0;

/** Bytes of the length prefix in front of every frame. */
export const LENGTH_PREFIX_BYTES = 4;

export interface KeepAlive {
  readonly type: 'keep-alive';
}
export interface Choke {
  readonly type: 'choke';
}
export interface Unchoke {
  readonly type: 'unchoke';
}
export interface Interested {
  readonly type: 'interested';
}
export interface NotInterested {
  readonly type: 'not-interested';
}
export interface Have {
  readonly type: 'have';
  readonly index: number;
}
export interface Bitfield {
  readonly type: 'bitfield';
  /** Raw wire bytes: piece 0 is the high bit of byte 0. Validate with `validateBitfield`. */
  readonly bitfield: Buffer;
}
export interface Request {
  readonly type: 'request';
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}
export interface Piece {
  readonly type: 'piece';
  readonly index: number;
  readonly begin: number;
  /**
   * Decoded blocks are a view into the received chunk, not a copy; a PeerWire's blocks are valid
   * only while its message is dispatched (the chunk may be a read buffer reused for the next read).
   */
  readonly block: Buffer;
}
export interface Cancel {
  readonly type: 'cancel';
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}
export interface Port {
  readonly type: 'port';
  readonly port: number;
}
export interface Suggest {
  readonly type: 'suggest';
  readonly index: number;
}
export interface HaveAll {
  readonly type: 'have-all';
}
export interface HaveNone {
  readonly type: 'have-none';
}
export interface Reject {
  readonly type: 'reject';
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}
export interface AllowedFast {
  readonly type: 'allowed-fast';
  readonly index: number;
}
export interface Extended {
  readonly type: 'extended';
  /** Extended message id: 0 is the BEP 10 handshake, others were assigned by the receiver's `m`. */
  readonly id: number;
  /** Usually a view into the received chunk; copy it to keep it past the current event. */
  readonly payload: Buffer;
}

export type PeerMessage =
  | KeepAlive
  | Choke
  | Unchoke
  | Interested
  | NotInterested
  | Have
  | Bitfield
  | Request
  | Piece
  | Cancel
  | Port
  | Suggest
  | HaveAll
  | HaveNone
  | Reject
  | AllowedFast
  | Extended;

export type PeerMessageType = PeerMessage['type'];

/** Wire id of each message type (keep-alive has none: it is an empty frame). */
export const MESSAGE_ID_OF: { readonly [T in Exclude<PeerMessageType, 'keep-alive'>]: MessageId } = {
  choke: MessageId.Choke,
  unchoke: MessageId.Unchoke,
  interested: MessageId.Interested,
  'not-interested': MessageId.NotInterested,
  have: MessageId.Have,
  bitfield: MessageId.Bitfield,
  request: MessageId.Request,
  piece: MessageId.Piece,
  cancel: MessageId.Cancel,
  port: MessageId.Port,
  suggest: MessageId.Suggest,
  'have-all': MessageId.HaveAll,
  'have-none': MessageId.HaveNone,
  reject: MessageId.Reject,
  'allowed-fast': MessageId.AllowedFast,
  extended: MessageId.Extended,
};

// Messages without fields are shared frozen singletons: decoding them allocates nothing.
export const KEEP_ALIVE: KeepAlive = Object.freeze({ type: 'keep-alive' });
export const CHOKE: Choke = Object.freeze({ type: 'choke' });
export const UNCHOKE: Unchoke = Object.freeze({ type: 'unchoke' });
export const INTERESTED: Interested = Object.freeze({ type: 'interested' });
export const NOT_INTERESTED: NotInterested = Object.freeze({ type: 'not-interested' });
export const HAVE_ALL: HaveAll = Object.freeze({ type: 'have-all' });
export const HAVE_NONE: HaveNone = Object.freeze({ type: 'have-none' });

/**
 * The message with its bytes copied out of the chunk it was decoded from, so it may be kept after
 * that chunk is reused. Blocks are left as views: their one consumer copies them where they belong.
 */
export function withOwnBytes(message: PeerMessage): PeerMessage {
  if (message.type === 'bitfield') return { type: 'bitfield', bitfield: Buffer.from(message.bitfield) };
  if (message.type === 'extended') return { type: 'extended', id: message.id, payload: Buffer.from(message.payload) };
  return message;
}
