import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyActorRef } from 'xstate';
import type { HttpGetOptions, TrackerTransport, UdpReply } from '../../src/env/tracker-transport.js';
import {
  type AnnounceResponse,
  type HttpAnnounceRequest,
  type PeerAddress,
  type UdpAnnounceRequest,
  decodeUdpRequest,
  encodeAnnounceResponse,
  encodeFailure,
  encodeUdpResponse,
  parseAnnounceQuery,
} from '../../src/protocol/tracker/index.js';

/*
 * Test trackers for the TrackerClient: real ones on 127.0.0.1 built from our own codecs (HTTP and
 * UDP), and a scripted in-memory transport for tests that only care about timing.
 */

export type HttpTrackerAnswer = Partial<AnnounceResponse> | { failure: string } | { raw: Buffer } | 'hang';

export interface HttpTracker {
  url: string;
  requests: HttpAnnounceRequest[];
  close(): Promise<void>;
}

/** An HTTP tracker on 127.0.0.1; `answer` decides each reply (default: interval 1800, no peers). */
export async function startHttpTracker(
  answer: (request: HttpAnnounceRequest, index: number) => HttpTrackerAnswer = () => ({}),
): Promise<HttpTracker> {
  const requests: HttpAnnounceRequest[] = [];
  const server = http.createServer((req, res) => {
    const rawQuery = (req.url ?? '').split('?')[1] ?? '';
    const request = parseAnnounceQuery(rawQuery);
    requests.push(request);
    const reply = answer(request, requests.length - 1);
    if (reply === 'hang') return;
    if ('failure' in reply) return void res.end(encodeFailure(reply.failure));
    if ('raw' in reply) return void res.end(reply.raw);
    res.end(encodeAnnounceResponse({ interval: 1800, peers: [], ...reply }, { compact: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/announce`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type UdpLogEntry = { action: 'connect'; connectionId: bigint } | UdpAnnounceRequest;

export interface UdpTrackerOptions {
  interval?: number;
  peers?: PeerAddress[];
  /** Before each reply, send one for another transaction id. */
  strayFirst?: boolean;
  /** Answer only with replies for other transaction ids. */
  strayOnly?: boolean;
  /** Answer the n-th announce (from 0) with an error packet carrying the message returned. */
  errorFor?: (announceIndex: number) => string | undefined;
  /** Listen on ::1 and answer in the IPv6 format (18-byte peers). */
  ipv6?: boolean;
}

export interface UdpTracker {
  url: string;
  log: UdpLogEntry[];
  close(): Promise<void>;
}

/** A BEP 15 tracker on 127.0.0.1: issues connection ids and checks them on announce. */
export async function startUdpTracker(options: UdpTrackerOptions = {}): Promise<UdpTracker> {
  const log: UdpLogEntry[] = [];
  const issued = new Set<bigint>();
  let nextId = 0x1234_5678_0000n;
  const family = options.ipv6 ? 'IPv6' : 'IPv4';
  const socket = dgram.createSocket(options.ipv6 ? 'udp6' : 'udp4');
  socket.on('message', (msg, rinfo) => {
    const request = decodeUdpRequest(msg);
    const reply = (response: Parameters<typeof encodeUdpResponse>[0]) => {
      if (options.strayFirst || options.strayOnly) {
        const stray = { ...response, transactionId: (response.transactionId + 1) >>> 0 };
        socket.send(encodeUdpResponse(stray, family), rinfo.port, rinfo.address);
      }
      if (!options.strayOnly) socket.send(encodeUdpResponse(response, family), rinfo.port, rinfo.address);
    };
    if (request.action === 'connect') {
      const connectionId = nextId++;
      issued.add(connectionId);
      log.push({ action: 'connect', connectionId });
      return reply({ action: 'connect', transactionId: request.transactionId, connectionId });
    }
    if (request.action !== 'announce') return;
    const announceIndex = log.filter((e) => e.action === 'announce').length;
    log.push(request);
    if (!issued.has(request.connectionId)) {
      return reply({ action: 'error', transactionId: request.transactionId, message: 'unknown connection id' });
    }
    const error = options.errorFor?.(announceIndex);
    if (error !== undefined) return reply({ action: 'error', transactionId: request.transactionId, message: error });
    reply({
      action: 'announce',
      transactionId: request.transactionId,
      interval: options.interval ?? 1800,
      leechers: 3,
      seeders: 2,
      peers: options.peers ?? [],
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, options.ipv6 ? '::1' : '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const host = options.ipv6 ? '[::1]' : '127.0.0.1';
  return {
    url: `udp://${host}:${socket.address().port}/announce`,
    log,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

// -------------------------------------------------------------------------------------------------

export interface FakeCall {
  url: string;
  request: HttpAnnounceRequest;
  signal: AbortSignal | undefined;
  /** Time on the test clock when the call was made. */
  at: number;
}

export type FakeAnswer = Partial<AnnounceResponse> | { failure: string } | Error | 'hang';

/**
 * An in-memory TrackerTransport for HTTP trackers: each announce URL (without its query) is routed
 * to `answer`. 'hang' never settles until the caller aborts.
 */
export class FakeTransport implements TrackerTransport {
  readonly calls: FakeCall[] = [];

  constructor(
    private readonly now: () => number,
    /** A promise delays the answer until the test settles it. */
    public answer: (base: string, request: HttpAnnounceRequest) => FakeAnswer | Promise<FakeAnswer>,
  ) {}

  async httpGet(url: string, opts: HttpGetOptions): Promise<Buffer> {
    const [base = '', rawQuery = ''] = url.split('?');
    const request = parseAnnounceQuery(rawQuery);
    this.calls.push({ url: base, request, signal: opts.signal, at: this.now() });
    const reply = await this.answer(base, request);
    if (reply === 'hang') {
      return new Promise((_, reject) =>
        opts.signal?.addEventListener('abort', () => reject(new Error(`tracker ${base}: aborted`)), { once: true }),
      );
    }
    if (reply instanceof Error) return Promise.reject(reply);
    if ('failure' in reply) return Promise.resolve(encodeFailure(reply.failure));
    return Promise.resolve(encodeAnnounceResponse({ interval: 1800, peers: [], ...reply }, { compact: true }));
  }

  udpRequest(): Promise<UdpReply> {
    return Promise.reject(new Error('the fake transport speaks HTTP only'));
  }

  /** The events sent, in order ('none' for a regular announce). */
  events(): string[] {
    return this.calls.map((c) => c.request.event ?? 'none');
  }
}

// -------------------------------------------------------------------------------------------------

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Every event the actor emits, in order. */
export function recordEmitted<T>(actor: AnyActorRef): T[] {
  const events: T[] = [];
  actor.on('*', (event: unknown) => events.push(event as T));
  return events;
}
