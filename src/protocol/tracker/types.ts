import type { TrackerPeer } from './peers.js';

/** BEP 3 events; a regular re-announce has none. */
export type AnnounceEvent = 'started' | 'completed' | 'stopped';
export const ANNOUNCE_EVENTS: readonly AnnounceEvent[] = ['started', 'completed', 'stopped'];

/** Swarm counters from a scrape (BEP 48 names; BEP 15 calls them seeders, completed, leechers). */
export interface ScrapeStats {
  /** Peers that have the whole torrent (seeders). */
  complete: number;
  /** Times the torrent was downloaded completely (snatches). */
  downloaded: number;
  /** Peers still downloading (leechers). */
  incomplete: number;
}

/** A successful announce reply, transport-neutral. */
export interface AnnounceResponse {
  /** Seconds to wait before the next regular announce. */
  interval: number;
  minInterval?: number;
  /** Opaque value to echo back as `trackerid` (HTTP only). */
  trackerId?: Buffer;
  /** Seeders. */
  complete?: number;
  /** Leechers. */
  incomplete?: number;
  /** Completed downloads ever (opentracker sends it; not in BEP 3). */
  downloaded?: number;
  warning?: string;
  /** Every peer the reply listed: `peers` (compact or dictionary form) then `peers6`. */
  peers: TrackerPeer[];
}

/**
 * Bound on announce intervals (seconds): a positive int32, as the UDP protocol can carry. How often
 * to really announce (floors, ceilings) is the tracker-client actor's policy, not the codec's.
 */
export const MAX_INTERVAL = 0x7fffffff;
