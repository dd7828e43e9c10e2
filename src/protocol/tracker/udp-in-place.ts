import type { TrackerErrorCode } from './errors.js';
import type { AnnounceEvent } from './types.js';
import { UDP_ANNOUNCE_REQUEST_LENGTH, UDP_PROTOCOL_ID, MAX_UDP_SCRAPE_HASHES } from './udp.js';

/*
 * BEP 15 for a busy server, in place: a request's fields are read straight from the datagram into a
 * reusable view, and replies are written into the caller's buffer, so answering a packet allocates
 * nothing. The checks are decodeUdpRequest's, with the same error codes; the byte strings
 * (connection id, infohashes, peer id) stay in the datagram at the offsets below.
 */

export const UDP_CONNECTION_ID_OFFSET = 0;
export const UDP_INFO_HASH_OFFSET = 16;
export const UDP_PEER_ID_OFFSET = 36;
/** Where a scrape's infohashes start, 20 bytes each. */
export const UDP_SCRAPE_HASHES_OFFSET = 16;
/** A reply's fixed part: action, transaction id, interval, leechers, seeders. */
export const UDP_ANNOUNCE_REPLY_HEADER = 20;

const PROTOCOL_ID_HIGH = Number(UDP_PROTOCOL_ID >> 32n);
const PROTOCOL_ID_LOW = Number(UDP_PROTOCOL_ID & 0xffffffffn);
const EVENTS: readonly (AnnounceEvent | undefined)[] = [undefined, 'completed', 'started', 'stopped'];
/** 2^53 / 2^32: the high word of the first amount a JS number cannot hold exactly. */
const AMOUNT_HIGH_LIMIT = 0x200000;

/** A request's fields; one view is reused for every packet. */
export interface UdpRequestView {
  action: 'connect' | 'announce' | 'scrape';
  transactionId: number;
  /** Announce only. */
  event: AnnounceEvent | undefined;
  left: number;
  /** The optional IPv4 address field as a number; 0 when absent. */
  ip: number;
  /** Undefined means the tracker's default (-1, or any negative number, on the wire). */
  numWant: number | undefined;
  port: number;
  /** Scrape only: how many infohashes follow the header. */
  hashes: number;
}

export function udpRequestView(): UdpRequestView {
  return { action: 'connect', transactionId: 0, event: undefined, left: 0, ip: 0, numWant: undefined, port: 0, hashes: 0 };
}

/**
 * Reads a request of at least 16 bytes into `view`: undefined when it is valid, else the code
 * decodeUdpRequest would throw (the transaction id is read first, so an error can be answered).
 */
export function readUdpRequest(packet: Uint8Array, view: UdpRequestView): TrackerErrorCode | undefined {
  if (packet.length < 16) return 'truncated-packet';
  view.transactionId = u32(packet, 12);
  const action = u32(packet, 8);
  if (action === 0) {
    if (u32(packet, 0) !== PROTOCOL_ID_HIGH || u32(packet, 4) !== PROTOCOL_ID_LOW) return 'invalid-protocol-id';
    view.action = 'connect';
    return undefined;
  }
  if (action === 1) return readAnnounce(packet, view);
  if (action === 2) {
    const body = packet.length - UDP_SCRAPE_HASHES_OFFSET;
    if (body === 0 || body % 20 !== 0) return 'invalid-length';
    if (body / 20 > MAX_UDP_SCRAPE_HASHES) return 'too-many-info-hashes';
    view.action = 'scrape';
    view.hashes = body / 20;
    return undefined;
  }
  return action === 3 ? 'unexpected-action' : 'unknown-action';
}

function readAnnounce(packet: Uint8Array, view: UdpRequestView): TrackerErrorCode | undefined {
  if (packet.length < UDP_ANNOUNCE_REQUEST_LENGTH) return 'truncated-packet';
  const event = u32(packet, 80);
  if (event >= EVENTS.length) return 'invalid-field';
  // downloaded, left, uploaded: each a 64-bit amount in 0..2^53-1.
  if (u32(packet, 56) >= AMOUNT_HIGH_LIMIT || u32(packet, 64) >= AMOUNT_HIGH_LIMIT || u32(packet, 72) >= AMOUNT_HIGH_LIMIT) return 'invalid-field';
  view.action = 'announce';
  view.event = EVENTS[event];
  view.left = u32(packet, 64) * 0x100000000 + u32(packet, 68);
  view.ip = u32(packet, 84);
  const numWant = u32(packet, 92) | 0;
  view.numWant = numWant >= 0 ? numWant : undefined;
  view.port = (packet[96]! << 8) | packet[97]!;
  return undefined;
}

/** A connect reply; the caller writes the 8-byte connection id at offset 8. Returns its length, 16. */
export function writeUdpConnectHeader(out: Uint8Array, transactionId: number): number {
  putU32(out, 0, 0);
  putU32(out, 4, transactionId);
  return 16;
}

/**
 * An announce reply's fixed part; the caller appends the compact peers (6 bytes each over IPv4, 18
 * over IPv6) from offset UDP_ANNOUNCE_REPLY_HEADER. Counts above 2^32 - 1 are written as that.
 */
export function writeUdpAnnounceHeader(out: Uint8Array, transactionId: number, interval: number, leechers: number, seeders: number): number {
  putU32(out, 0, 1);
  putU32(out, 4, transactionId);
  putU32(out, 8, interval);
  putU32(out, 12, Math.min(leechers, 0xffffffff));
  putU32(out, 16, Math.min(seeders, 0xffffffff));
  return UDP_ANNOUNCE_REPLY_HEADER;
}

/** A scrape reply's header; entry i goes at 8 + 12 i (writeUdpScrapeEntry). */
export function writeUdpScrapeHeader(out: Uint8Array, transactionId: number): number {
  putU32(out, 0, 2);
  putU32(out, 4, transactionId);
  return 8;
}

export function writeUdpScrapeEntry(out: Uint8Array, index: number, complete: number, downloaded: number, incomplete: number): void {
  const at = 8 + 12 * index;
  putU32(out, at, Math.min(complete, 0xffffffff));
  putU32(out, at + 4, Math.min(downloaded, 0xffffffff));
  putU32(out, at + 8, Math.min(incomplete, 0xffffffff));
}

/** An error reply: its UTF-8 message cut to what fits in `out`. Returns its length. */
export function writeUdpError(out: Buffer, transactionId: number, message: string): number {
  putU32(out, 0, 3);
  putU32(out, 4, transactionId);
  return 8 + out.write(message, 8, 'utf8');
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function putU32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
}
