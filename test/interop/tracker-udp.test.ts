/**
 * Real clients use actorrent's tracker over UDP (BEP 15): a libtorrent seeder and a libtorrent
 * leecher whose torrent names only `udp://127.0.0.1:P`, on a tracker serving UDP alone. (aria2
 * speaks UDP trackers only with its DHT on, so it is not used here.) The data arrives byte-exact and
 * a UDP scrape shows the seeder while it is there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload } from '../engine/swarm-helpers.js';
import { startTracker } from '../../src/tracker-server.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import type { BackgroundProcess } from './clients/background.js';
import { scrapeUntil, startLibtorrentTrackerPeer } from './clients/tracker-interop.js';

test('UDP: a libtorrent seeder and a libtorrent leecher find each other through our tracker', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
  const tracker = await startTracker({ host: '127.0.0.1', port: 0, http: false, config: { interval: 60 } });
  const payload = await makePayload({ multiFile: false, size: 4_000_000, pieceLength: 256 * 1024, trackers: [tracker.udpUrl!] });
  const infoHash = payload.meta.infoHash;
  let seeder: BackgroundProcess | undefined;
  let leecher: BackgroundProcess | undefined;
  try {
    seeder = startLibtorrentTrackerPeer('seed', payload.torrentFile, payload.seedDir, 45);
    await seeder.waitForEvent((e) => e.event === 'seeding', 15_000);
    await scrapeUntil(tracker, infoHash, 'udp', (s) => s.complete === 1, 10_000, 'UDP scrape while the seeder is up');

    const out = payload.dir('libtorrent-leecher');
    leecher = startLibtorrentTrackerPeer('leech', payload.torrentFile, out, 30);
    const code = await leecher.exitWithin(35_000);
    assert.equal(code, 0, `the libtorrent leecher did not complete: ${leecher.stdout()}${leecher.stderr()}\nseeder: ${seeder.stdout()}`);
    payload.assertSame(out);
    const complete = leecher.events().find((e) => e.event === 'complete');
    assert.equal(complete?.downloaded, 4_000_000);

    const counts = tracker.stats().requests.udp;
    assert.ok(counts.connect >= 2 && counts.announce >= 2, JSON.stringify(counts));
    assert.equal(counts.failed, 0, 'every connection id libtorrent used was accepted');

    await seeder.stop(8000);
    const gone = await scrapeUntil(tracker, infoHash, 'udp', (s) => s.complete === 0, 5000, 'UDP scrape after the seeder stopped');
    assert.deepEqual(gone, { complete: 0, downloaded: 1, incomplete: 0 }, 'both peers said `stopped`; the download was counted');
    t.diagnostic(`tracker requests: ${JSON.stringify(tracker.stats().requests)}`);
  } finally {
    await leecher?.stop();
    await seeder?.stop();
    await tracker.stop();
    payload.cleanup();
  }
});
