import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { messageOf } from '../util/message-of.js';
import { formatAddress } from '../util/socket-address.js';

/*
 * The network edge of the tracker client: the only place that opens sockets to trackers. The
 * TrackerClient actor speaks to trackers through this interface, so tests and the simulator can put
 * a fake in its place. Timeouts here run on real time: they bound real sockets.
 */

export type AddressFamily = 'IPv4' | 'IPv6';

export interface HttpGetOptions {
  /** For the whole exchange, redirects included. */
  timeoutMs: number;
  /** A body over this size is refused (by its Content-Length, or as soon as it grows past it). */
  maxBytes: number;
  signal?: AbortSignal;
}

export interface UdpRequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Datagrams for which this returns false are ignored and the wait goes on (a stray or spoofed
   * reply with another transaction id, say). Without it the first datagram is the answer.
   */
  accept?: (data: Buffer) => boolean;
}

/** A UDP reply and the address family it came over, which picks the BEP 15 peer format. */
export interface UdpReply {
  data: Buffer;
  family: AddressFamily;
}

export interface TrackerTransport {
  /** GET `url` (http or https); resolves with the body of a 200 reply. */
  httpGet(url: string, opts: HttpGetOptions): Promise<Buffer>;
  /** Sends one datagram to host:port; resolves with the first accepted reply from that host:port. */
  udpRequest(host: string, port: number, packet: Buffer, opts: UdpRequestOptions): Promise<UdpReply>;
}

export type TrackerTransportErrorCode =
  | 'timeout'
  | 'aborted'
  | 'refused'
  | 'not-found'
  | 'unreachable'
  | 'reset'
  | 'too-large'
  | 'http-status'
  | 'too-many-redirects'
  | 'invalid-url'
  | 'network';

/** A failed exchange; the message is one line: `tracker <url without its query>: <what happened>`. */
export class TrackerTransportError extends Error {
  constructor(
    readonly code: TrackerTransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrackerTransportError';
  }
}

export interface TrackerTransportOptions {
  /** Send every tracker request from this local address (the engine's `--bind`). */
  localAddress?: string;
  /** Default 3. */
  maxRedirects?: number;
  userAgent?: string;
}

const DEFAULT_MAX_REDIRECTS = 3;

export function createTrackerTransport(options: TrackerTransportOptions = {}): TrackerTransport {
  const { localAddress } = options;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const userAgent = options.userAgent ?? 'actorrent';
  const localFamily = localAddress === undefined ? undefined : familyOf(localAddress);
  if (localAddress !== undefined && localFamily === undefined) {
    throw new TypeError(`localAddress ${JSON.stringify(localAddress)} is not an IP address`);
  }

  return {
    httpGet(url, opts) {
      return httpGet(url, opts, { localAddress, maxRedirects, userAgent });
    },
    udpRequest(host, port, packet, opts) {
      return udpRequest(host, port, packet, opts, localAddress, localFamily);
    },
  };
}

// -------------------------------------------------------------------------------------------------
// HTTP

interface HttpSettings {
  localAddress: string | undefined;
  maxRedirects: number;
  userAgent: string;
}

async function httpGet(url: string, opts: HttpGetOptions, settings: HttpSettings): Promise<Buffer> {
  const label = `tracker ${displayUrl(url)}`;
  // One controller for the deadline and the caller's signal, shared by every hop.
  const { signal, dispose } = deadline(opts.timeoutMs, opts.signal, label);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const result = await httpOnce(current, opts.maxBytes, signal, settings, label);
      if ('body' in result) return result.body;
      if (hop >= settings.maxRedirects) {
        throw new TrackerTransportError('too-many-redirects', `${label}: more than ${settings.maxRedirects} redirects`);
      }
      current = result.location;
    }
  } finally {
    dispose();
  }
}

function httpOnce(
  url: string,
  maxBytes: number,
  signal: AbortSignal,
  settings: HttpSettings,
  label: string,
): Promise<{ body: Buffer } | { location: string }> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return reject(new TrackerTransportError('invalid-url', `${label}: invalid URL`));
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return reject(new TrackerTransportError('invalid-url', `${label}: ${parsed.protocol} is not http or https`));
    }
    if (signal.aborted) return reject(signal.reason);
    const client = parsed.protocol === 'https:' ? https : http;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(signal.aborted ? signal.reason : mapNetworkError(error, label));
    };
    const request = client.get(
      parsed,
      {
        // No pooling: a tracker is asked every few minutes, and a pooled socket keeps node alive.
        agent: false,
        signal,
        localAddress: settings.localAddress,
        headers: { 'user-agent': settings.userAgent, 'accept-encoding': 'identity', connection: 'close' },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location !== undefined) {
          response.resume();
          let next: URL;
          try {
            next = new URL(location, parsed);
          } catch {
            return fail(new TrackerTransportError('invalid-url', `${label}: redirect to an invalid URL`));
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            return fail(new TrackerTransportError('invalid-url', `${label}: redirect to ${next.protocol}, not http or https`));
          }
          settled = true;
          request.destroy();
          return resolve({ location: next.href });
        }
        if (status !== 200) {
          return fail(new TrackerTransportError('http-status', `${label}: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd()));
        }
        const tooLarge = () =>
          new TrackerTransportError('too-large', `${label}: reply is larger than the ${maxBytes}-byte limit`);
        const declared = Number(response.headers['content-length']);
        if (declared > maxBytes) return fail(tooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return fail(tooLarge());
          chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({ body: Buffer.concat(chunks, size) });
        });
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete) fail(new TrackerTransportError('reset', `${label}: connection closed before the reply ended`));
        });
      },
    );
    request.on('error', fail);
  });
}

// -------------------------------------------------------------------------------------------------
// UDP

async function udpRequest(
  host: string,
  port: number,
  packet: Buffer,
  opts: UdpRequestOptions,
  localAddress: string | undefined,
  localFamily: AddressFamily | undefined,
): Promise<UdpReply> {
  const label = `tracker udp://${formatAddress(host, port)}`;
  const { signal, dispose } = deadline(opts.timeoutMs, opts.signal, label);
  try {
    const target = await resolveHost(host, localFamily, signal, label);
    if (localFamily !== undefined && target.family !== localFamily) {
      throw new TrackerTransportError('unreachable', `${label}: no ${localFamily} address to reach from ${localAddress}`);
    }
    return await exchange(target, port, packet, opts.accept, localAddress, signal, label);
  } finally {
    dispose();
  }
}

async function resolveHost(
  host: string,
  family: AddressFamily | undefined,
  signal: AbortSignal,
  label: string,
): Promise<{ address: string; family: AddressFamily }> {
  const literal = familyOf(host);
  if (literal !== undefined) return { address: host, family: literal };
  const lookup = dns.lookup(host, { family: family === 'IPv6' ? 6 : family === 'IPv4' ? 4 : 0 }).then(
    (found) => ({ address: found.address, family: (found.family === 6 ? 'IPv6' : 'IPv4') as AddressFamily }),
    (error: unknown) => {
      throw mapNetworkError(error, label);
    },
  );
  // dns.lookup cannot be cancelled; stop waiting for it instead.
  return await Promise.race([lookup, rejectOnAbort(signal)]);
}

function exchange(
  target: { address: string; family: AddressFamily },
  port: number,
  packet: Buffer,
  accept: ((data: Buffer) => boolean) | undefined,
  localAddress: string | undefined,
  signal: AbortSignal,
  label: string,
): Promise<UdpReply> {
  return new Promise((resolve, reject) => {
    // One socket per request, connected: the kernel delivers only datagrams from the tracker's
    // address and port, and turns an ICMP "port unreachable" into ECONNREFUSED.
    const socket = dgram.createSocket({ type: target.family === 'IPv6' ? 'udp6' : 'udp4' });
    let settled = false;
    const finish = (error: unknown, reply?: UdpReply) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.close();
      if (reply) resolve(reply);
      else reject(error);
    };
    const onAbort = () => finish(signal.reason);
    if (signal.aborted) return finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error) => finish(mapNetworkError(error, label)));
    socket.on('message', (data) => {
      if (accept && !accept(data)) return;
      finish(undefined, { data, family: target.family });
    });
    const connectAndSend = () => {
      if (settled) return;
      // On failure node passes the error to this callback instead of emitting 'error'.
      socket.connect(port, target.address, (error?: Error) => {
        if (settled) return;
        if (error) return finish(mapNetworkError(error, label));
        socket.send(packet, (sendError) => {
          if (sendError) finish(mapNetworkError(sendError, label));
        });
      });
    };
    if (localAddress !== undefined) socket.bind({ address: localAddress, port: 0 }, connectAndSend);
    else connectAndSend();
  });
}

// -------------------------------------------------------------------------------------------------

/** An AbortSignal that fires on the caller's signal or after `timeoutMs`, with our errors as reasons. */
function deadline(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  label: string,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TrackerTransportError('timeout', `${label}: timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = () => controller.abort(new TrackerTransportError('aborted', `${label}: aborted`));
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

const ERRNO_MESSAGES: Record<string, [TrackerTransportErrorCode, string]> = {
  ECONNREFUSED: ['refused', 'connection refused'],
  ECONNRESET: ['reset', 'connection reset'],
  EPIPE: ['reset', 'connection reset'],
  ENOTFOUND: ['not-found', 'host not found'],
  EAI_AGAIN: ['not-found', 'host name lookup failed'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  EADDRNOTAVAIL: ['unreachable', 'local address not available'],
  ETIMEDOUT: ['timeout', 'connection timed out'],
};

function mapNetworkError(error: unknown, label: string): TrackerTransportError {
  if (error instanceof TrackerTransportError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known = code === undefined ? undefined : ERRNO_MESSAGES[code];
  if (known) return new TrackerTransportError(known[0], `${label}: ${known[1]}`);
  return new TrackerTransportError('network', `${label}: ${messageOf(error).split('\n')[0]}`);
}

function familyOf(address: string): AddressFamily | undefined {
  const kind = net.isIP(address);
  return kind === 4 ? 'IPv4' : kind === 6 ? 'IPv6' : undefined;
}

/** The URL for messages: without its query, which holds our peer id and maybe a passkey. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return url.split('?')[0] ?? url;
  }
}
