import { formatIPv4, parseIPv4 } from './address.js';
import { TrackerError } from './errors.js';
import {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  decodeCompactPeers,
  decodeCompactPeers6,
  encodeCompactPeers,
  encodeCompactPeers6,
  type PeerAddress,
} from './peers.js';
import { type AnnounceEvent, MAX_INTERVAL, type ScrapeStats } from './types.js';
import { checkAmount, checkHash, checkInteger, checkInterval, checkPort } from './validate.js';

/*
 * BEP 15 UDP tracker packets, both directions: a client encodes requests and decodes responses, a
 * server the reverse. Big-endian throughout. Decoders check every length before reading and, as the
 * BEP asks, ignore bytes past the fields they know (BEP 41 options after an announce, for one).
 */

export const UDP_PROTOCOL_ID = 0x41727101980n;
/** About as many as fit in one packet below a typical MTU (BEP 15). */
export const MAX_UDP_SCRAPE_HASHES = 74;
export const UDP_ANNOUNCE_REQUEST_LENGTH = 98;

/** The address family of the datagram an announce came over, which picks the peer format. */
export type AddressFamily = 'IPv4' | 'IPv6';
export type UdpAction = 'connect' | 'announce' | 'scrape' | 'error';
const ACTIONS: readonly UdpAction[] = ['connect', 'announce', 'scrape', 'error'];
const ACTION_CODE: Record<UdpAction, number> = { connect: 0, announce: 1, scrape: 2, error: 3 };
// BEP 15 event codes: 0 none, 1 completed, 2 started, 3 stopped.
const EVENTS: readonly (AnnounceEvent | undefined)[] = [undefined, 'completed', 'started', 'stopped'];

export interface UdpConnectRequest {
  action: 'connect';
  transactionId: number;
}

export interface UdpAnnounceRequest {
  action: 'announce';
  connectionId: bigint;
  transactionId: number;
  infoHash: Buffer;
  peerId: Buffer;
  downloaded: number;
  left: number;
  uploaded: number;
  event?: AnnounceEvent;
  /** The optional IPv4 address field; undefined when 0 (the default). */
  ip?: string;
  key: number;
  /** Undefined means the tracker's default (-1 on the wire). */
  numWant?: number;
  port: number;
}

export interface UdpScrapeRequest {
  action: 'scrape';
  connectionId: bigint;
  transactionId: number;
  infoHashes: Buffer[];
}

export type UdpRequest = UdpConnectRequest | UdpAnnounceRequest | UdpScrapeRequest;

export interface UdpConnectResponse {
  action: 'connect';
  transactionId: number;
  connectionId: bigint;
}

export interface UdpAnnounceResponse {
  action: 'announce';
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  peers: PeerAddress[];
}

export interface UdpScrapeResponse {
  action: 'scrape';
  transactionId: number;
  /** In the order the infohashes were asked for. */
  stats: ScrapeStats[];
}

export interface UdpErrorResponse {
  action: 'error';
  transactionId: number;
  message: string;
}

export type UdpResponse = UdpConnectResponse | UdpAnnounceResponse | UdpScrapeResponse | UdpErrorResponse;

// ---------------------------------------------------------------------------------------------
// Requests (client encodes, server decodes)

export function encodeUdpConnectRequest(request: Omit<UdpConnectRequest, 'action'>): Buffer {
  checkUint32(request.transactionId, 'transactionId');
  const out = Buffer.alloc(16);
  out.writeBigUInt64BE(UDP_PROTOCOL_ID, 0);
  out.writeUInt32BE(ACTION_CODE.connect, 8);
  out.writeUInt32BE(request.transactionId, 12);
  return out;
}

export function decodeUdpConnectRequest(packet: Uint8Array): UdpConnectRequest {
  const buf = requestHeader(packet, 16, 'connect');
  const protocolId = buf.readBigUInt64BE(0);
  if (protocolId !== UDP_PROTOCOL_ID) {
    throw new TrackerError('invalid-protocol-id', `protocol id 0x${protocolId.toString(16)} is not 0x41727101980`);
  }
  return { action: 'connect', transactionId: buf.readUInt32BE(12) };
}

export function encodeUdpAnnounceRequest(request: Omit<UdpAnnounceRequest, 'action'>): Buffer {
  checkConnectionId(request.connectionId);
  checkUint32(request.transactionId, 'transactionId');
  checkHash(request.infoHash, 'infoHash');
  checkHash(request.peerId, 'peerId');
  checkAmount(request.downloaded, 'downloaded');
  checkAmount(request.left, 'left');
  checkAmount(request.uploaded, 'uploaded');
  checkUint32(request.key, 'key');
  checkPort(request.port);
  if (request.numWant !== undefined) checkInteger(request.numWant, 'numWant', 0, 0x7fffffff);
  const eventCode = EVENTS.indexOf(request.event);
  if (eventCode === -1) throw new TrackerError('invalid-argument', `unknown event ${JSON.stringify(request.event)}`);
  const ip = request.ip === undefined ? Buffer.alloc(4) : parseIPv4(request.ip);
  if (!ip) throw new TrackerError('invalid-argument', `ip ${JSON.stringify(request.ip)} is not an IPv4 address`);

  const out = Buffer.alloc(UDP_ANNOUNCE_REQUEST_LENGTH);
  out.writeBigUInt64BE(request.connectionId, 0);
  out.writeUInt32BE(ACTION_CODE.announce, 8);
  out.writeUInt32BE(request.transactionId, 12);
  Buffer.from(request.infoHash).copy(out, 16);
  Buffer.from(request.peerId).copy(out, 36);
  out.writeBigInt64BE(BigInt(request.downloaded), 56);
  out.writeBigInt64BE(BigInt(request.left), 64);
  out.writeBigInt64BE(BigInt(request.uploaded), 72);
  out.writeUInt32BE(eventCode, 80);
  ip.copy(out, 84);
  out.writeUInt32BE(request.key, 88);
  out.writeInt32BE(request.numWant ?? -1, 92);
  out.writeUInt16BE(request.port, 96);
  return out;
}

export function decodeUdpAnnounceRequest(packet: Uint8Array): UdpAnnounceRequest {
  const buf = requestHeader(packet, UDP_ANNOUNCE_REQUEST_LENGTH, 'announce');
  const eventCode = buf.readUInt32BE(80);
  if (eventCode >= EVENTS.length) throw new TrackerError('invalid-field', `announce event ${eventCode} is not 0..3`);
  const request: UdpAnnounceRequest = {
    action: 'announce',
    connectionId: buf.readBigUInt64BE(0),
    transactionId: buf.readUInt32BE(12),
    infoHash: Buffer.from(buf.subarray(16, 36)),
    peerId: Buffer.from(buf.subarray(36, 56)),
    downloaded: readAmount(buf, 56, 'downloaded'),
    left: readAmount(buf, 64, 'left'),
    uploaded: readAmount(buf, 72, 'uploaded'),
    key: buf.readUInt32BE(88),
    port: buf.readUInt16BE(96),
  };
  const event = EVENTS[eventCode];
  if (event !== undefined) request.event = event;
  if (buf.readUInt32BE(84) !== 0) request.ip = formatIPv4(buf, 84);
  // -1 is "default"; any other negative number means nothing else, so it is read as default too.
  const numWant = buf.readInt32BE(92);
  if (numWant >= 0) request.numWant = numWant;
  return request;
}

export function encodeUdpScrapeRequest(request: Omit<UdpScrapeRequest, 'action'>): Buffer {
  checkConnectionId(request.connectionId);
  checkUint32(request.transactionId, 'transactionId');
  const count = request.infoHashes.length;
  if (count === 0 || count > MAX_UDP_SCRAPE_HASHES) {
    throw new TrackerError('invalid-argument', `a UDP scrape asks about 1..${MAX_UDP_SCRAPE_HASHES} infohashes, not ${count}`);
  }
  const out = Buffer.alloc(16 + 20 * count);
  out.writeBigUInt64BE(request.connectionId, 0);
  out.writeUInt32BE(ACTION_CODE.scrape, 8);
  out.writeUInt32BE(request.transactionId, 12);
  request.infoHashes.forEach((hash, i) => {
    checkHash(hash, `infoHashes[${i}]`);
    Buffer.from(hash).copy(out, 16 + 20 * i);
  });
  return out;
}

export function decodeUdpScrapeRequest(packet: Uint8Array): UdpScrapeRequest {
  const buf = requestHeader(packet, 16, 'scrape');
  const bodyLength = buf.length - 16;
  if (bodyLength === 0 || bodyLength % 20 !== 0) {
    throw new TrackerError('invalid-length', `scrape request body of ${bodyLength} bytes is not a whole number of infohashes`);
  }
  const count = bodyLength / 20;
  if (count > MAX_UDP_SCRAPE_HASHES) {
    throw new TrackerError('too-many-info-hashes', `scrape request asks about ${count} infohashes, over ${MAX_UDP_SCRAPE_HASHES}`);
  }
  const infoHashes: Buffer[] = [];
  for (let i = 0; i < count; i++) infoHashes.push(Buffer.from(buf.subarray(16 + 20 * i, 36 + 20 * i)));
  return { action: 'scrape', connectionId: buf.readBigUInt64BE(0), transactionId: buf.readUInt32BE(12), infoHashes };
}

/** Any request, by its action field (a server's entry point). */
export function decodeUdpRequest(packet: Uint8Array): UdpRequest {
  const buf = asBuffer(packet);
  if (buf.length < 16) throw new TrackerError('truncated-packet', `request of ${buf.length} bytes is shorter than 16`);
  const action = actionName(buf.readUInt32BE(8));
  if (action === 'connect') return decodeUdpConnectRequest(buf);
  if (action === 'announce') return decodeUdpAnnounceRequest(buf);
  if (action === 'scrape') return decodeUdpScrapeRequest(buf);
  throw new TrackerError('unexpected-action', 'error is not a request action');
}

export function encodeUdpRequest(request: UdpRequest): Buffer {
  switch (request.action) {
    case 'connect':
      return encodeUdpConnectRequest(request);
    case 'announce':
      return encodeUdpAnnounceRequest(request);
    case 'scrape':
      return encodeUdpScrapeRequest(request);
  }
}

// ---------------------------------------------------------------------------------------------
// Responses (server encodes, client decodes)

export function encodeUdpConnectResponse(response: Omit<UdpConnectResponse, 'action'>): Buffer {
  checkUint32(response.transactionId, 'transactionId');
  checkConnectionId(response.connectionId);
  const out = responseHeader('connect', response.transactionId, 8);
  out.writeBigUInt64BE(response.connectionId, 8);
  return out;
}

export function decodeUdpConnectResponse(packet: Uint8Array): UdpConnectResponse {
  const buf = responseBody(packet, 16, 'connect');
  return { action: 'connect', transactionId: buf.readUInt32BE(4), connectionId: buf.readBigUInt64BE(8) };
}

/** `family` is that of the datagram the announce came over: IPv4 peers are 6 bytes, IPv6 ones 18. */
export function encodeUdpAnnounceResponse(response: Omit<UdpAnnounceResponse, 'action'>, family: AddressFamily): Buffer {
  checkUint32(response.transactionId, 'transactionId');
  checkInterval(response.interval, 'interval');
  checkUint32(response.leechers, 'leechers');
  checkUint32(response.seeders, 'seeders');
  const peers = family === 'IPv6' ? encodeCompactPeers6(response.peers) : encodeCompactPeers(response.peers);
  const out = responseHeader('announce', response.transactionId, 12 + peers.length);
  out.writeUInt32BE(response.interval, 8);
  out.writeUInt32BE(response.leechers, 12);
  out.writeUInt32BE(response.seeders, 16);
  peers.copy(out, 20);
  return out;
}

export function decodeUdpAnnounceResponse(packet: Uint8Array, family: AddressFamily): UdpAnnounceResponse {
  const buf = responseBody(packet, 20, 'announce');
  const interval = buf.readUInt32BE(8);
  if (interval < 1 || interval > MAX_INTERVAL) {
    throw new TrackerError('invalid-interval', `interval ${interval} is not in 1..${MAX_INTERVAL}`);
  }
  const stride = family === 'IPv6' ? COMPACT_IPV6_LENGTH : COMPACT_IPV4_LENGTH;
  const peerBytes = buf.subarray(20);
  if (peerBytes.length % stride !== 0) {
    throw new TrackerError('invalid-peers', `announce response has ${peerBytes.length} peer bytes, not a multiple of ${stride}`);
  }
  return {
    action: 'announce',
    transactionId: buf.readUInt32BE(4),
    interval,
    leechers: buf.readUInt32BE(12),
    seeders: buf.readUInt32BE(16),
    peers: family === 'IPv6' ? decodeCompactPeers6(peerBytes) : decodeCompactPeers(peerBytes),
  };
}

export function encodeUdpScrapeResponse(response: Omit<UdpScrapeResponse, 'action'>): Buffer {
  checkUint32(response.transactionId, 'transactionId');
  const out = responseHeader('scrape', response.transactionId, 12 * response.stats.length);
  response.stats.forEach((s, i) => {
    checkUint32(s.complete, 'complete');
    checkUint32(s.downloaded, 'downloaded');
    checkUint32(s.incomplete, 'incomplete');
    out.writeUInt32BE(s.complete, 8 + 12 * i);
    out.writeUInt32BE(s.downloaded, 12 + 12 * i);
    out.writeUInt32BE(s.incomplete, 16 + 12 * i);
  });
  return out;
}

export function decodeUdpScrapeResponse(packet: Uint8Array): UdpScrapeResponse {
  const buf = responseBody(packet, 8, 'scrape');
  if ((buf.length - 8) % 12 !== 0) {
    throw new TrackerError('invalid-length', `scrape response body of ${buf.length - 8} bytes is not a multiple of 12`);
  }
  const stats: ScrapeStats[] = [];
  for (let at = 8; at < buf.length; at += 12) {
    stats.push({ complete: buf.readUInt32BE(at), downloaded: buf.readUInt32BE(at + 4), incomplete: buf.readUInt32BE(at + 8) });
  }
  return { action: 'scrape', transactionId: buf.readUInt32BE(4), stats };
}

export function encodeUdpErrorResponse(response: Omit<UdpErrorResponse, 'action'>): Buffer {
  checkUint32(response.transactionId, 'transactionId');
  const message = Buffer.from(response.message, 'utf8');
  const out = responseHeader('error', response.transactionId, message.length);
  message.copy(out, 8);
  return out;
}

export function decodeUdpErrorResponse(packet: Uint8Array): UdpErrorResponse {
  const buf = responseBody(packet, 8, 'error');
  return { action: 'error', transactionId: buf.readUInt32BE(4), message: buf.toString('utf8', 8) };
}

/** Any response, by its action field (a client's entry point). */
export function decodeUdpResponse(packet: Uint8Array, family: AddressFamily): UdpResponse {
  const buf = asBuffer(packet);
  if (buf.length < 8) throw new TrackerError('truncated-packet', `response of ${buf.length} bytes is shorter than 8`);
  switch (actionName(buf.readUInt32BE(0))) {
    case 'connect':
      return decodeUdpConnectResponse(buf);
    case 'announce':
      return decodeUdpAnnounceResponse(buf, family);
    case 'scrape':
      return decodeUdpScrapeResponse(buf);
    case 'error':
      return decodeUdpErrorResponse(buf);
  }
}

export function encodeUdpResponse(response: UdpResponse, family: AddressFamily): Buffer {
  switch (response.action) {
    case 'connect':
      return encodeUdpConnectResponse(response);
    case 'announce':
      return encodeUdpAnnounceResponse(response, family);
    case 'scrape':
      return encodeUdpScrapeResponse(response);
    case 'error':
      return encodeUdpErrorResponse(response);
  }
}

/**
 * Matches a response to the request a client sent: the transaction id must be ours and the action the
 * one we asked for, or `error` (the tracker's refusal, returned for the caller to report). Anything
 * else is a TrackerError: 'transaction-mismatch' (a stray or spoofed datagram) or 'unexpected-action'.
 */
export function checkTransaction<A extends Exclude<UdpAction, 'error'>>(
  expected: { transactionId: number; action: A },
  response: UdpResponse,
): Extract<UdpResponse, { action: A }> | UdpErrorResponse {
  if (response.transactionId !== expected.transactionId) {
    throw new TrackerError(
      'transaction-mismatch',
      `response for transaction ${response.transactionId}, expected ${expected.transactionId}`,
    );
  }
  if (response.action !== expected.action && response.action !== 'error') {
    throw new TrackerError('unexpected-action', `${response.action} response, expected ${expected.action}`);
  }
  return response as Extract<UdpResponse, { action: A }> | UdpErrorResponse;
}

// ---------------------------------------------------------------------------------------------

function asBuffer(packet: Uint8Array): Buffer {
  return Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
}

function actionName(code: number): UdpAction {
  const action = ACTIONS[code];
  if (action === undefined) throw new TrackerError('unknown-action', `unknown action ${code}`);
  return action;
}

/** A request of at least `minLength` bytes whose action field (offset 8) is `action`. */
function requestHeader(packet: Uint8Array, minLength: number, action: UdpAction): Buffer {
  const buf = asBuffer(packet);
  if (buf.length < minLength) {
    throw new TrackerError('truncated-packet', `${action} request of ${buf.length} bytes is shorter than ${minLength}`);
  }
  const code = buf.readUInt32BE(8);
  if (code !== ACTION_CODE[action]) throw new TrackerError('unexpected-action', `action ${code} in a ${action} request`);
  return buf;
}

/** A response of at least `minLength` bytes whose action field (offset 0) is `action`. */
function responseBody(packet: Uint8Array, minLength: number, action: UdpAction): Buffer {
  const buf = asBuffer(packet);
  if (buf.length < minLength) {
    throw new TrackerError('truncated-packet', `${action} response of ${buf.length} bytes is shorter than ${minLength}`);
  }
  const code = buf.readUInt32BE(0);
  if (code !== ACTION_CODE[action]) throw new TrackerError('unexpected-action', `action ${code} in a ${action} response`);
  return buf;
}

function responseHeader(action: UdpAction, transactionId: number, bodyLength: number): Buffer {
  const out = Buffer.alloc(8 + bodyLength);
  out.writeUInt32BE(ACTION_CODE[action], 0);
  out.writeUInt32BE(transactionId, 4);
  return out;
}

function readAmount(buf: Buffer, offset: number, what: string): number {
  const value = buf.readBigInt64BE(offset);
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TrackerError('invalid-field', `${what} ${value} is not in 0..2^53-1`);
  }
  return Number(value);
}

function checkUint32(value: number, what: string): void {
  checkInteger(value, what, 0, 0xffffffff);
}

function checkConnectionId(value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) {
    throw new TrackerError('invalid-argument', 'connectionId must be a bigint in 0..2^64-1');
  }
}
