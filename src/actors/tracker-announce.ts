import type { TrackerTransport, UdpReply } from '../env/tracker-transport.js';
import {
  type AnnounceEvent,
  type PeerAddress,
  type UdpAction,
  type UdpResponse,
  buildAnnounceUrl,
  checkTransaction,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  parseAnnounceResponse,
} from '../protocol/tracker/index.js';
import { trackerProtocol } from './tracker-tiers.js';
import { messageOf } from '../util/message-of.js';

/*
 * One announce to one tracker URL, over HTTP (BEP 3, compact BEP 23) or UDP (BEP 15), as a promise
 * the TrackerClient machine invokes. Every failure is thrown as an Error with a one-line message;
 * the machine decides what to try next.
 */

/** BEP 15: a client may use a connection id for one minute after receiving it. */
export const UDP_CONNECTION_LIFETIME_MS = 60_000;
/** Far more than any real announce reply; the transport refuses anything bigger unread. */
export const MAX_ANNOUNCE_BODY_BYTES = 2 * 1024 * 1024;

export interface UdpConnection {
  id: bigint;
  /** Clock time it was received. */
  obtainedAt: number;
}

export interface AnnounceTimeouts {
  /** A whole HTTP exchange, redirects included. */
  httpMs: number;
  /** The first UDP attempt; each retransmission waits twice as long (BEP 15's schedule, shortened). */
  udpMs: number;
  udpAttempts: number;
}

export interface AnnounceRequest {
  url: string;
  event: AnnounceEvent | undefined;
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  numwant: number;
  key: number;
  /** HTTP: the `tracker id` this tracker gave us before. */
  trackerId?: Buffer;
  /** UDP: a connection id we hold for this tracker, used if still young enough. */
  udpConnection?: UdpConnection;
  transport: TrackerTransport;
  now: () => number;
  /** For UDP transaction ids. */
  rng: () => number;
  timeouts: AnnounceTimeouts;
}

export interface AnnounceResult {
  /** Seconds, as the tracker said. */
  interval: number;
  minInterval?: number;
  trackerId?: Buffer;
  complete?: number;
  incomplete?: number;
  warning?: string;
  peers: PeerAddress[];
  /** UDP: the connection id used, to keep for the next announce. */
  udpConnection?: UdpConnection;
}

/** The tracker answered with a refusal (`failure reason`, or a UDP error packet). */
export class TrackerRefusal extends Error {
  override name = 'TrackerRefusal';
}

export function announce(request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
  const protocol = trackerProtocol(request.url);
  if (protocol === 'http') return announceHttp(request, signal);
  if (protocol === 'udp') return announceUdp(request, signal);
  return Promise.reject(new Error(`tracker ${request.url}: unsupported URL scheme`));
}

/** Where connection ids are kept: one per tracker endpoint (host:port), whatever the URL path. */
export function udpEndpointKey(url: string): string | undefined {
  if (trackerProtocol(url) !== 'udp') return undefined;
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port}`;
}

// -------------------------------------------------------------------------------------------------

async function announceHttp(request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
  let fullUrl: string;
  try {
    fullUrl = buildAnnounceUrl(request.url, {
      infoHash: request.infoHash,
      peerId: request.peerId,
      port: request.port,
      uploaded: request.uploaded,
      downloaded: request.downloaded,
      left: request.left,
      compact: true,
      event: request.event,
      numwant: request.numwant,
      // Sent as 8 hex digits, as libtorrent does: trackers treat the key as an opaque string.
      key: request.key.toString(16).padStart(8, '0'),
      trackerId: request.trackerId,
    });
  } catch (error) {
    throw new Error(`tracker ${request.url}: cannot announce: ${messageOf(error)}`);
  }
  const body = await request.transport.httpGet(fullUrl, {
    timeoutMs: request.timeouts.httpMs,
    maxBytes: MAX_ANNOUNCE_BODY_BYTES,
    signal,
  });
  let reply: ReturnType<typeof parseAnnounceResponse>;
  try {
    reply = parseAnnounceResponse(body);
  } catch (error) {
    throw new Error(`tracker ${request.url}: invalid reply: ${messageOf(error)}`);
  }
  if (reply.type === 'failure') throw new TrackerRefusal(reply.reason);
  const result: AnnounceResult = {
    interval: reply.interval,
    peers: reply.peers.map(({ host, port }) => ({ host, port })),
  };
  if (reply.minInterval !== undefined) result.minInterval = reply.minInterval;
  if (reply.trackerId !== undefined) result.trackerId = reply.trackerId;
  if (reply.complete !== undefined) result.complete = reply.complete;
  if (reply.incomplete !== undefined) result.incomplete = reply.incomplete;
  if (reply.warning !== undefined) result.warning = reply.warning;
  return result;
}

// -------------------------------------------------------------------------------------------------

async function announceUdp(request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
  const target = udpTarget(request.url);
  const cached = request.udpConnection;
  let connection = cached && request.now() - cached.obtainedAt < UDP_CONNECTION_LIFETIME_MS ? cached : undefined;
  if (!connection) {
    const transactionId = randomUint32(request.rng);
    const reply = await udpExchange(request, target, encodeUdpConnectRequest({ transactionId }), {
      transactionId,
      action: 'connect',
    }, signal);
    connection = { id: reply.connectionId, obtainedAt: request.now() };
  }
  const transactionId = randomUint32(request.rng);
  const packet = encodeUdpAnnounceRequest({
    connectionId: connection.id,
    transactionId,
    infoHash: request.infoHash,
    peerId: request.peerId,
    downloaded: request.downloaded,
    left: request.left,
    uploaded: request.uploaded,
    event: request.event,
    key: request.key,
    numWant: request.numwant,
    port: request.port,
  });
  const reply = await udpExchange(request, target, packet, { transactionId, action: 'announce' }, signal);
  return {
    interval: reply.interval,
    complete: reply.seeders,
    incomplete: reply.leechers,
    peers: reply.peers,
    udpConnection: connection,
  };
}

interface UdpTarget {
  host: string;
  port: number;
  label: string;
}

function udpTarget(url: string): UdpTarget {
  const parsed = new URL(url);
  const port = Number(parsed.port);
  if (!(port >= 1 && port <= 65535)) throw new Error(`tracker ${url}: a UDP tracker URL needs a port`);
  // IPv6 literals come back in brackets.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, label: `tracker udp://${parsed.host}` };
}

/**
 * Sends `packet` and waits for the reply to this transaction, retransmitting on timeouts. Replies
 * for another transaction are ignored rather than taken as an answer: UDP can be spoofed, and a late
 * reply to an earlier request is no error.
 */
async function udpExchange<A extends Exclude<UdpAction, 'error'>>(
  request: AnnounceRequest,
  target: UdpTarget,
  packet: Buffer,
  expected: { transactionId: number; action: A },
  signal: AbortSignal,
) {
  const accept = (data: Buffer) => data.length >= 8 && data.readUInt32BE(4) === expected.transactionId;
  const { udpMs, udpAttempts } = request.timeouts;
  let reply: UdpReply | undefined;
  for (let attempt = 0; reply === undefined; attempt++) {
    try {
      reply = await request.transport.udpRequest(target.host, target.port, packet, {
        timeoutMs: udpMs * 2 ** attempt,
        signal,
        accept,
      });
    } catch (error) {
      const timedOut = (error as { code?: unknown } | undefined)?.code === 'timeout';
      if (!timedOut || attempt + 1 >= udpAttempts || signal.aborted) throw error;
    }
  }
  let response: UdpResponse;
  try {
    response = checkTransaction(expected, decodeUdpResponse(reply.data, reply.family));
  } catch (error) {
    throw new Error(`${target.label}: invalid ${expected.action} reply: ${messageOf(error)}`);
  }
  if (response.action === 'error') throw new TrackerRefusal(response.message);
  return response as Extract<UdpResponse, { action: A }>;
}

function randomUint32(rng: () => number): number {
  return Math.floor(rng() * 0x1_0000_0000) >>> 0;
}
