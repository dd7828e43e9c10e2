import type { TrackerHandlers, TrackerServerTransport } from '../env/tracker-server-transport.js';
import { type TrackerTransport, TrackerTransportError } from '../env/tracker-transport.js';
import type { SimNetwork } from './sim-network.js';

/**
 * Trackers on the simulated network: the real tracker server (actor and core) listens through
 * `serverTransport`, and each simulated host announces through its own `clientTransport`. A request
 * reaches the tracker one link latency after it is sent and the answer comes back one later;
 * nothing listening means a timeout on the sim clock (UDP) or a refusal after a round trip (HTTP).
 */
export class SimTrackers {
  private readonly endpoints = new Map<string, TrackerHandlers>();
  private nextPort = 50_000;

  constructor(private readonly network: SimNetwork) {}

  /** For `startTracker({ transport })` on the host at `host`. */
  readonly serverTransport: TrackerServerTransport = {
    listen: async (options, handlers) => {
      const key = `${options.host}:${options.port}`;
      if (options.port === 0) throw new Error('a simulated tracker needs a port');
      if (this.endpoints.has(key)) throw new Error(`listen EADDRINUSE ${key}`);
      this.endpoints.set(key, handlers);
      return {
        address: options.host,
        port: options.port,
        close: async () => {
          this.endpoints.delete(key);
        },
      };
    },
  };

  /** The tracker client transport of the simulated host at `from`. */
  clientTransport(from: string): TrackerTransport {
    const clock = this.network.clock;
    const exchange = <T>(to: string, timeoutMs: number, signal: AbortSignal | undefined, describe: string, send: (reply: (value: T | Error) => void) => boolean) =>
      new Promise<T>((resolve, reject) => {
        let settled = false;
        const finish = (value: T | Error) => {
          if (settled) return;
          settled = true;
          clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (value instanceof Error) reject(value);
          else resolve(value);
        };
        const onAbort = () => finish(new TrackerTransportError('aborted', `tracker ${describe}: aborted`));
        signal?.addEventListener('abort', onAbort);
        const timer = clock.setTimeout(() => finish(new TrackerTransportError('timeout', `tracker ${describe}: no answer within ${timeoutMs} ms`)), timeoutMs);
        const latency = this.network.link(from, to).latencyMs;
        const online = this.network.getHost(from)?.online !== false && this.network.getHost(to)?.online !== false;
        clock.setTimeout(() => {
          if (!online || settled) return;
          const heard = send((value) => clock.setTimeout(() => finish(value), latency));
          if (!heard) clock.setTimeout(() => finish(new TrackerTransportError('refused', `tracker ${describe}: connection refused`)), latency);
        }, latency);
      });

    return {
      httpGet: (url, opts) => {
        let target: URL;
        try {
          target = new URL(url);
        } catch {
          return Promise.reject(new TrackerTransportError('invalid-url', `tracker ${url}: not a URL`));
        }
        const describe = `${target.origin}${target.pathname}`;
        const port = Number(target.port || 80);
        const remotePort = this.nextPort++;
        return exchange<Buffer>(target.hostname, opts.timeoutMs, opts.signal, describe, (reply) => {
          const handlers = this.endpoints.get(`${target.hostname}:${port}`);
          if (!handlers) return false;
          handlers.http({ method: 'GET', url: `${target.pathname}${target.search}`, remoteAddress: from, remotePort }, (answer) => {
            if (answer.status !== 200) reply(new TrackerTransportError('http-status', `tracker ${describe}: HTTP ${answer.status}`));
            else if (answer.body.length > opts.maxBytes) reply(new TrackerTransportError('too-large', `tracker ${describe}: reply over ${opts.maxBytes} bytes`));
            else reply(answer.body);
          });
          return true;
        });
      },
      udpRequest: (host, port, packet, opts) => {
        const describe = `udp://${host}:${port}`;
        const localPort = this.nextPort++;
        // A datagram to nowhere is simply lost: only the timeout ends the wait.
        return exchange<{ data: Buffer; family: 'IPv4' }>(host, opts.timeoutMs, opts.signal, describe, (reply) => {
          const handlers = this.endpoints.get(`${host}:${port}`);
          handlers?.datagram({ data: packet, address: from, port: localPort }, (data) => {
            if (!opts.accept || opts.accept(data)) reply({ data, family: 'IPv4' });
          });
          return true;
        });
      },
    };
  }
}
