import { createHmac } from 'node:crypto';
import { ConnectionIds } from './connection-ids.js';
import { type RegistryStats, SwarmRegistry } from './swarm-registry.js';
import { type TrackerConfig, trackerConfig } from './tracker-config.js';

/** Requests served, by kind. `failed` ones got a `failure reason` (HTTP) or an error packet (UDP). */
export interface RequestCounts {
  http: { announce: number; scrape: number; stats: number; notFound: number; failed: number };
  udp: { connect: number; announce: number; scrape: number; failed: number; ignored: number };
}

/** What `GET /stats` reports. */
export interface TrackerStats extends RegistryStats {
  requests: RequestCounts;
}

/**
 * Everything a request handler needs, without sockets or timers: the configuration, the swarm
 * registry, the connection-id authority and the request counters. Owned by the tracker-server actor;
 * time and randomness come in with each request.
 */
export class TrackerCore {
  readonly config: TrackerConfig;
  readonly registry: SwarmRegistry;
  readonly connectionIds: ConnectionIds;
  readonly counts: RequestCounts = {
    http: { announce: 0, scrape: 0, stats: 0, notFound: 0, failed: 0 },
    udp: { connect: 0, announce: 0, scrape: 0, failed: 0, ignored: 0 },
  };

  constructor(
    config: Partial<TrackerConfig>,
    /** Keys the connection ids and the peer index's hash: at least 16 random bytes, kept only in memory. */
    secret: Buffer,
    readonly rng: () => number = Math.random,
  ) {
    this.config = trackerConfig(config);
    this.registry = new SwarmRegistry({
      maxTorrents: this.config.maxTorrents,
      maxPeersPerTorrent: this.config.maxPeersPerTorrent,
      maxPeers: this.config.maxPeers,
      defaultNumwant: this.config.defaultNumwant,
      maxNumwant: this.config.maxNumwant,
      peerTtlMs: 2 * this.config.interval * 1000,
    }, createHmac('sha256', secret).update('peer index').digest().readInt32BE(0));
    this.connectionIds = new ConnectionIds(secret);
  }

  /** Whether the allow-list (if any) lets this infohash be tracked. */
  allows(infoHash: Uint8Array): boolean {
    const list = this.config.allowList;
    return list === undefined || list.has(Buffer.from(infoHash.buffer, infoHash.byteOffset, infoHash.byteLength).toString('hex'));
  }

  stats(): TrackerStats {
    return { ...this.registry.stats(), requests: structuredClone(this.counts) };
  }
}

/** The refusal for a torrent not on the allow-list (opentracker's wording). */
export const NOT_ALLOWED = 'Requested download is not authorized for use with this tracker.';
