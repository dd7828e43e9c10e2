import { MAX_INTERVAL } from '../protocol/tracker/index.js';

/** How the tracker behaves and how much it may hold. */
export interface TrackerConfig {
  /** Seconds between regular announces, told to every client. Peers expire after 2 × interval. */
  interval: number;
  /** Seconds a client must wait before announcing again of its own accord. */
  minInterval: number;
  /** Peers listed when the client does not say how many it wants. */
  defaultNumwant: number;
  /** Most peers in one reply (UDP over IPv6 lists fewer, so the reply fits in one datagram). */
  maxNumwant: number;
  /** Caps that keep memory bounded: past them the least recently seen torrent or peer is evicted. */
  maxTorrents: number;
  maxPeersPerTorrent: number;
  maxPeers: number;
  /** Most infohashes in one HTTP scrape (UDP carries at most 74). */
  maxScrapeHashes: number;
  /** Believe the UDP `ip` field and the HTTP `ip` parameter (only behind a proxy you run). */
  trustIp: boolean;
  /** When set, only these infohashes (lowercase hex) are tracked. */
  allowList?: ReadonlySet<string>;
  /** How often expired peers are swept out. */
  sweepIntervalMs: number;
}

export const DEFAULT_INTERVAL = 1800;

/*
 * Caps: a peer costs about 0.2 KB here, torrents included (see test/tracker/memory-bound.test.ts), so
 * the defaults hold the registry to roughly 50 MB under any flood.
 */
export const DEFAULT_LIMITS = {
  maxTorrents: 50_000,
  maxPeersPerTorrent: 20_000,
  maxPeers: 250_000,
} as const;

export function trackerConfig(overrides: Partial<TrackerConfig> = {}): TrackerConfig {
  const interval = overrides.interval ?? DEFAULT_INTERVAL;
  const config: TrackerConfig = {
    interval,
    minInterval: Math.max(1, Math.floor(interval / 2)),
    defaultNumwant: 50,
    maxNumwant: 200,
    ...DEFAULT_LIMITS,
    maxScrapeHashes: 100,
    trustIp: false,
    sweepIntervalMs: Math.min(60_000, interval * 500),
    ...withoutUndefined(overrides),
  };
  checkWhole(config.interval, 'interval', 1, MAX_INTERVAL);
  checkWhole(config.minInterval, 'minInterval', 1, config.interval);
  checkWhole(config.maxNumwant, 'maxNumwant', 0, 10_000);
  checkWhole(config.defaultNumwant, 'defaultNumwant', 0, config.maxNumwant);
  checkWhole(config.maxTorrents, 'maxTorrents', 1, Number.MAX_SAFE_INTEGER);
  checkWhole(config.maxPeersPerTorrent, 'maxPeersPerTorrent', 1, Number.MAX_SAFE_INTEGER);
  checkWhole(config.maxPeers, 'maxPeers', 1, Number.MAX_SAFE_INTEGER);
  checkWhole(config.maxScrapeHashes, 'maxScrapeHashes', 1, 10_000);
  checkWhole(config.sweepIntervalMs, 'sweepIntervalMs', 1, MAX_INTERVAL);
  return config;
}

function checkWhole(value: number, name: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`tracker ${name} ${value} is not a whole number in ${min}..${max}`);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
