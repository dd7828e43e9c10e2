import { UtpDecodeError } from './errors.js';

/*
 * The BEP 29 packet: a 20-byte header (version 1), an extension chain, then the payload.
 *
 *   0       4       8               16              24              32
 *   | type  | ver   | extension     | connection_id                 |
 *   | timestamp_microseconds                                        |
 *   | timestamp_difference_microseconds                             |
 *   | wnd_size                                                      |
 *   | seq_nr                        | ack_nr                        |
 *
 * Each extension is [next extension type, length, bytes]. Type 1 is the selective ack: a bitmask
 * whose bit k (least significant bit of byte 0 first) says packet ack_nr + 2 + k was received.
 * BEP 29 asks for a length that is a multiple of 4, but libtorrent sends (span + 7) / 8 bytes, up
 * to a packet's worth, so any length is read (the first selective ack counts). Other extensions
 * are skipped, as libtorrent and libutp do.
 */

export const ST_DATA = 0;
export const ST_FIN = 1;
export const ST_STATE = 2;
export const ST_RESET = 3;
export const ST_SYN = 4;
export type UtpType = typeof ST_DATA | typeof ST_FIN | typeof ST_STATE | typeof ST_RESET | typeof ST_SYN;

export const UTP_VERSION = 1;
export const HEADER_BYTES = 20;
export const EXT_SELECTIVE_ACK = 1;
/** The longest selective ack we send (1024 packets: more than any reorder buffer we keep). */
export const MAX_SACK_BYTES = 128;

export const TYPE_NAMES = ['ST_DATA', 'ST_FIN', 'ST_STATE', 'ST_RESET', 'ST_SYN'] as const;

export interface UtpHeader {
  type: UtpType;
  connectionId: number;
  timestampMicros: number;
  timestampDiffMicros: number;
  windowSize: number;
  seqNr: number;
  ackNr: number;
}

export interface UtpPacket extends UtpHeader {
  /** The selective-ack bitmask, when the packet carries one. A view of the datagram. */
  sack?: Buffer;
  /** A view of the datagram, never copied. */
  payload: Buffer;
}

/**
 * Cheap test on the first byte, before any parsing: a uTP v1 packet of a known type. A bencoded
 * dictionary (KRPC) starts with 'd' (0x64: type 6, version 4), so the two never collide.
 */
export function looksLikeUtp(datagram: Buffer): boolean {
  const first = datagram[0];
  return datagram.length >= HEADER_BYTES && first !== undefined && (first & 0x0f) === UTP_VERSION && first >> 4 <= ST_SYN;
}

/** Decodes one datagram. Throws only UtpDecodeError; the payload and sack are views, never copies. */
export function decodeUtpPacket(datagram: Buffer): UtpPacket {
  if (datagram.length < HEADER_BYTES) throw new UtpDecodeError('utp-short', `uTP packet of ${datagram.length} bytes is shorter than its 20-byte header`);
  const first = datagram[0]!;
  if ((first & 0x0f) !== UTP_VERSION) throw new UtpDecodeError('utp-version', `uTP version ${first & 0x0f} is not 1`);
  const type = first >> 4;
  if (type > ST_SYN) throw new UtpDecodeError('utp-type', `uTP packet type ${type} is unknown`);
  let extension = datagram[1]!;
  let at = HEADER_BYTES;
  let sack: Buffer | undefined;
  while (extension !== 0) {
    if (at + 2 > datagram.length) throw new UtpDecodeError('utp-extension', 'uTP extension header cut short');
    const next = datagram[at]!;
    const length = datagram[at + 1]!;
    const start = at + 2;
    if (start + length > datagram.length) throw new UtpDecodeError('utp-extension', `uTP extension ${extension} of ${length} bytes runs past the packet`);
    if (extension === EXT_SELECTIVE_ACK && sack === undefined && length > 0) sack = datagram.subarray(start, start + length);
    extension = next;
    at = start + length;
  }
  const packet: UtpPacket = {
    type: type as UtpType,
    connectionId: datagram.readUInt16BE(2),
    timestampMicros: datagram.readUInt32BE(4),
    timestampDiffMicros: datagram.readUInt32BE(8),
    windowSize: datagram.readUInt32BE(12),
    seqNr: datagram.readUInt16BE(16),
    ackNr: datagram.readUInt16BE(18),
    payload: datagram.subarray(at),
  };
  if (sack) packet.sack = sack;
  return packet;
}

/** The bytes before the payload: the header, and the selective ack when given (length a multiple of 4). */
export function encodeUtpHeader(header: UtpHeader, sack?: Buffer): Buffer {
  const sackLength = sack?.length ?? 0;
  if (sackLength % 4 !== 0 || sackLength > MAX_SACK_BYTES) throw new RangeError(`selective ack of ${sackLength} bytes`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + (sackLength > 0 ? 2 + sackLength : 0));
  out[0] = (header.type << 4) | UTP_VERSION;
  out[1] = sackLength > 0 ? EXT_SELECTIVE_ACK : 0;
  out.writeUInt16BE(header.connectionId & 0xffff, 2);
  out.writeUInt32BE(header.timestampMicros >>> 0, 4);
  out.writeUInt32BE(header.timestampDiffMicros >>> 0, 8);
  out.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.floor(header.windowSize))), 12);
  out.writeUInt16BE(header.seqNr & 0xffff, 16);
  out.writeUInt16BE(header.ackNr & 0xffff, 18);
  if (sack && sackLength > 0) {
    out[20] = 0;
    out[21] = sackLength;
    sack.copy(out, 22);
  }
  return out;
}

/** A whole packet in one buffer (tests, SYN/STATE/RESET); data packets send header and payload as two parts. */
export function encodeUtpPacket(header: UtpHeader, payload: Buffer = Buffer.alloc(0), sack?: Buffer): Buffer {
  const head = encodeUtpHeader(header, sack);
  return payload.length === 0 ? head : Buffer.concat([head, payload]);
}

/** Sequence numbers a selective ack says arrived: ack_nr + 2 + k for every set bit k. */
export function sackedSeqs(ackNr: number, sack: Buffer): number[] {
  const seqs: number[] = [];
  for (let byte = 0; byte < sack.length; byte++) {
    const bits = sack[byte]!;
    if (bits === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (bits & (1 << bit)) seqs.push((ackNr + 2 + byte * 8 + bit) & 0xffff);
  }
  return seqs;
}

/** The selective ack for packets received past ack_nr + 1 (`received(k)`: packet ack_nr + 2 + k arrived), or undefined when none did. */
export function buildSack(span: number, received: (k: number) => boolean): Buffer | undefined {
  const bits = Math.min(span, MAX_SACK_BYTES * 8);
  if (bits <= 0) return undefined;
  const bytes = Math.ceil(bits / 32) * 4;
  const out = Buffer.alloc(bytes);
  let any = false;
  for (let k = 0; k < bits; k++) {
    if (!received(k)) continue;
    out[k >> 3]! |= 1 << (k & 7);
    any = true;
  }
  return any ? out : undefined;
}
