import {
  type TrackerServerActor,
  type TrackerServerEmitted,
  createTrackerServer,
  stopTrackerServer,
  trackerServerStats,
  whenTrackerListening,
} from './actors/tracker-server.js';
import { setFlagsFromString } from 'node:v8';
import type { InspectionEvent, Observer } from 'xstate';
import { type Clock, systemClock } from './env/clock.js';
import type { HttpGuardStats } from './env/http-guard.js';
import {
  type NodeTrackerTransportOptions,
  type TrackerServerTransport,
  createTrackerServerTransport,
} from './env/tracker-server-transport.js';
import type { TrackerConfig } from './tracker/tracker-config.js';
import type { TrackerStats } from './tracker/tracker-core.js';
import { formatAddress } from './util/socket-address.js';

/**
 * The library API of the tracker, as Session is for peers: starts a TrackerServer actor on real
 * sockets (or an injected transport) and hands back its address, URLs, stats and a stop.
 */
export interface StartTrackerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a port free for both protocols. */
  port?: number;
  http?: boolean;
  udp?: boolean;
  config?: Partial<TrackerConfig>;
  clock?: Clock;
  transport?: TrackerServerTransport;
  /** The HTTP connection rules of the default transport (timeouts, caps); ignored with `transport`. */
  connections?: NodeTrackerTransportOptions;
  secret?: Buffer;
  rng?: () => number;
  /** XState's inspection events of the tracker actor (the inspector, the dashboard). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * The process serves only this tracker (the `actorrent tracker` command): V8's young generation
   * is kept at its initial size. A tracker's garbage is small and short-lived, so a young
   * generation grown under load (to 32 MiB in node 20) buys no speed and costs its size in RSS.
   * Process-wide: leave it unset where the tracker shares the process with peers.
   */
  dedicatedProcess?: boolean;
}

export class RunningTracker {
  constructor(
    readonly actor: TrackerServerActor,
    readonly address: string,
    readonly port: number,
    readonly http: boolean,
    readonly udp: boolean,
    private readonly transport: TrackerServerTransport,
  ) {}

  /** `host:port` for URLs, IPv6 in brackets. */
  get hostPort(): string {
    return formatAddress(this.address, this.port);
  }

  get announceUrl(): string | undefined {
    return this.http ? `http://${this.hostPort}/announce` : undefined;
  }

  get udpUrl(): string | undefined {
    return this.udp ? `udp://${this.hostPort}` : undefined;
  }

  stats(): TrackerStats {
    return trackerServerStats(this.actor);
  }

  /** HTTP connections open now, and those evicted, refused and timed out so far; undefined without HTTP or real sockets. */
  httpConnections(): HttpGuardStats | undefined {
    return this.http ? this.transport.httpConnections?.() : undefined;
  }

  on<T extends TrackerServerEmitted['type']>(type: T, handler: (event: Extract<TrackerServerEmitted, { type: T }>) => void): () => void {
    const sub = this.actor.on(type, handler as never);
    return () => sub.unsubscribe();
  }

  stop(): Promise<void> {
    return stopTrackerServer(this.actor);
  }
}

/** Rejects with a one-line message (e.g. "port 6969 is already in use on 127.0.0.1 (UDP)") if it cannot bind. */
export async function startTracker(options: StartTrackerOptions = {}): Promise<RunningTracker> {
  if (options.dedicatedProcess) setFlagsFromString('--semi-space-growth-factor=1');
  const http = options.http ?? true;
  const udp = options.udp ?? true;
  const transport = options.transport ?? createTrackerServerTransport(options.connections);
  const actor = createTrackerServer({
    transport,
    clock: options.clock ?? systemClock,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    http,
    udp,
    config: options.config,
    secret: options.secret,
    rng: options.rng,
  }, { inspect: options.inspect });
  actor.start();
  try {
    const { address, port } = await whenTrackerListening(actor);
    return new RunningTracker(actor, address, port, http, udp, transport);
  } catch (err) {
    actor.stop();
    throw err;
  }
}
