import { fileURLToPath } from 'node:url';
import { type ScrapeStats, encodeUdpScrapeRequest, parseScrapeResponse, percentEncode } from '../../../src/protocol/tracker/index.js';
import type { RunningTracker } from '../../../src/tracker-server.js';
import { PYTHON } from '../../support/tools.js';
import { until } from '../../support/until.js';
import { httpGet, rawUdpClient } from '../../tracker/udp-client.js';
import { type BackgroundProcess, startBackground } from './background.js';

/*
 * For the interop tests of actorrent's tracker: real clients that find their peers only through
 * the trackers in the torrent, and scrapes of our tracker over HTTP or UDP.
 */

const peerScript = fileURLToPath(new URL('./libtorrent_tracker_peer.py', import.meta.url));

/**
 * libtorrent_tracker_peer.py: a seeder, or a leecher that learns of its peers from the torrent's
 * trackers alone (DHT, LSD and PEX are off). Stopping it (SIGTERM) is graceful: it announces
 * `stopped` and waits for the tracker's answer.
 */
export function startLibtorrentTrackerPeer(
  mode: 'seed' | 'leech',
  torrentFile: string,
  savePath: string,
  lifetimeSeconds: number,
  options: { bindIp?: string; command?: string[] } = {},
): BackgroundProcess {
  // `command` runs it under a prefix (e.g. `ip netns exec NS`), still bounded by `timeout` outside it.
  const [program, ...prefix] = [...(options.command ?? []), PYTHON];
  const args = [...prefix, peerScript, mode, torrentFile, savePath, String(lifetimeSeconds), ...(options.bindIp ? [options.bindIp] : [])];
  return startBackground(program!, args, lifetimeSeconds + 5);
}

/** What the tracker says of one torrent: BEP 48 over HTTP, or BEP 15 over UDP (as a client would ask). */
export async function scrape(tracker: RunningTracker, infoHash: Buffer, over: 'http' | 'udp'): Promise<ScrapeStats> {
  if (over === 'http') {
    const reply = parseScrapeResponse((await httpGet(`http://${tracker.hostPort}/scrape?info_hash=${percentEncode(infoHash)}`)).body);
    if (reply.type !== 'success') throw new Error(`scrape refused: ${reply.reason}`);
    return reply.files.get(infoHash.toString('hex')) ?? { complete: 0, downloaded: 0, incomplete: 0 };
  }
  const client = await rawUdpClient(tracker.address, tracker.port);
  try {
    const connectionId = await client.connect();
    const reply = await client.exchange(encodeUdpScrapeRequest({ connectionId, transactionId: 7, infoHashes: [infoHash] }));
    if (reply.action !== 'scrape') throw new Error(`scrape refused: ${JSON.stringify(reply)}`);
    return reply.stats[0]!;
  } finally {
    await client.close();
  }
}

/** Scrapes (every 100 ms, for at most `timeoutMs`) until `accept` holds; returns that scrape. */
export async function scrapeUntil(
  tracker: RunningTracker,
  infoHash: Buffer,
  over: 'http' | 'udp',
  accept: (stats: ScrapeStats) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ScrapeStats> {
  let last: ScrapeStats | undefined;
  await until(async () => accept((last = await scrape(tracker, infoHash, over))), {
    what: () => `${what}: still ${JSON.stringify(last)}`,
    timeoutMs,
    intervalMs: 100,
  });
  return last!;
}
