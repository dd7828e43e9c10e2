import { asBuffer } from './as-buffer.js';
import { WireError } from './errors.js';

/**
 * The BEP 3 handshake, 68 bytes: `<19>"BitTorrent protocol"<8 reserved><20 infohash><20 peer id>`.
 */
export const PROTOCOL_STRING = 'BitTorrent protocol';
export const HANDSHAKE_LENGTH = 68;

const PSTR = Buffer.from(PROTOCOL_STRING, 'latin1');
const PSTRLEN = PSTR.length; // 19
const RESERVED_AT = 1 + PSTRLEN; // 20
const INFO_HASH_AT = RESERVED_AT + 8; // 28
const PEER_ID_AT = INFO_HASH_AT + 20; // 48

/** Where each capability lives in the 8 reserved bytes. */
export const ReservedBit = {
  /** BEP 10 extension protocol: bit 20 from the right. */
  ExtensionProtocol: { byte: 5, mask: 0x10 },
  /** BEP 6 fast extension. */
  FastExtension: { byte: 7, mask: 0x04 },
  /** BEP 5 DHT: the peer will send a `port` message. */
  Dht: { byte: 7, mask: 0x01 },
} as const;

export interface HandshakeFlags {
  readonly extensionProtocol: boolean;
  readonly fastExtension: boolean;
  readonly dht: boolean;
}

export interface Handshake {
  readonly type: 'handshake';
  /** All 8 reserved bytes as received, including bits we do not interpret. */
  readonly reserved: Buffer;
  readonly flags: HandshakeFlags;
  readonly infoHash: Buffer;
  readonly peerId: Buffer;
}

export interface HandshakeInit {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** Capabilities to advertise; set on top of `reserved` when both are given. */
  flags?: Partial<HandshakeFlags>;
  reserved?: Uint8Array;
}

export function encodeReserved(flags: Partial<HandshakeFlags>, base?: Uint8Array): Buffer {
  const reserved = Buffer.alloc(8);
  if (base) {
    if (base.length !== 8) throw new RangeError(`reserved bytes must be 8 long, got ${base.length}`);
    reserved.set(base);
  }
  const set = (bit: { byte: number; mask: number }) => (reserved[bit.byte] = reserved[bit.byte]! | bit.mask);
  if (flags.extensionProtocol) set(ReservedBit.ExtensionProtocol);
  if (flags.fastExtension) set(ReservedBit.FastExtension);
  if (flags.dht) set(ReservedBit.Dht);
  return reserved;
}

export function decodeReserved(reserved: Uint8Array): HandshakeFlags {
  const has = (bit: { byte: number; mask: number }) => ((reserved[bit.byte] ?? 0) & bit.mask) !== 0;
  return {
    extensionProtocol: has(ReservedBit.ExtensionProtocol),
    fastExtension: has(ReservedBit.FastExtension),
    dht: has(ReservedBit.Dht),
  };
}

export function encodeHandshake(init: HandshakeInit): Buffer {
  if (init.infoHash.length !== 20) throw new RangeError(`infohash must be 20 bytes, got ${init.infoHash.length}`);
  if (init.peerId.length !== 20) throw new RangeError(`peer id must be 20 bytes, got ${init.peerId.length}`);
  const out = Buffer.allocUnsafe(HANDSHAKE_LENGTH);
  out[0] = PSTRLEN;
  PSTR.copy(out, 1);
  encodeReserved(init.flags ?? {}, init.reserved).copy(out, RESERVED_AT);
  out.set(init.infoHash, INFO_HASH_AT);
  out.set(init.peerId, PEER_ID_AT);
  return out;
}

/**
 * Checks as much of a handshake as has arrived (any length), so that a peer speaking something else
 * (an encrypted MSE stream, HTTP, …) is refused on its first bytes instead of after 68.
 */
export function checkHandshakePrefix(bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  if (bytes[0] !== PSTRLEN) {
    throw new WireError('handshake-pstrlen', `handshake starts with ${bytes[0]}, expected ${PSTRLEN}`);
  }
  const n = Math.min(bytes.length, RESERVED_AT);
  for (let i = 1; i < n; i++) {
    if (bytes[i] !== PSTR[i - 1]) {
      throw new WireError('handshake-protocol', `handshake protocol string is not "${PROTOCOL_STRING}"`);
    }
  }
}

/** Decodes exactly 68 handshake bytes; the fields are copies, not views of `bytes`. */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  checkHandshakePrefix(bytes);
  if (bytes.length !== HANDSHAKE_LENGTH) {
    throw new WireError('handshake-length', `handshake of ${bytes.length} bytes, expected ${HANDSHAKE_LENGTH}`);
  }
  const buf = asBuffer(bytes);
  const reserved = Buffer.from(buf.subarray(RESERVED_AT, INFO_HASH_AT));
  return {
    type: 'handshake',
    reserved,
    flags: decodeReserved(reserved),
    infoHash: Buffer.from(buf.subarray(INFO_HASH_AT, PEER_ID_AT)),
    peerId: Buffer.from(buf.subarray(PEER_ID_AT, HANDSHAKE_LENGTH)),
  };
}
