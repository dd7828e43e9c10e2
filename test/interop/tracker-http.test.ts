/**
 * Real clients use actorrent's tracker over HTTP: a libtorrent seeder and an aria2 leecher know
 * nothing of each other but the tracker URL in the torrent (no DHT, LSD, PEX, all on 127.0.0.1); the
 * data arrives byte-exact, and a scrape shows the seeder while it is there, and not after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makePayload } from '../engine/swarm-helpers.js';
import { startTracker } from '../../src/tracker-server.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import { startAria2 } from './clients/aria2.js';
import type { BackgroundProcess } from './clients/background.js';
import { freePort } from './clients/bounded.js';
import { scrapeUntil, startLibtorrentTrackerPeer } from './clients/tracker-interop.js';

test('HTTP: a libtorrent seeder and an aria2 leecher find each other through our tracker', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
  if (!requireTool(t, ['aria2c', '--version'], 'aria2')) return;
  const tracker = await startTracker({ host: '127.0.0.1', port: 0, config: { interval: 60 } });
  const payload = await makePayload({ multiFile: true, size: 3_000_000, pieceLength: 64 * 1024, trackers: [tracker.announceUrl!] });
  const infoHash = payload.meta.infoHash;
  let seeder: BackgroundProcess | undefined;
  let leecher: BackgroundProcess | undefined;
  try {
    seeder = startLibtorrentTrackerPeer('seed', payload.torrentFile, payload.seedDir, 45);
    await seeder.waitForEvent((e) => e.event === 'seeding', 15_000);
    const seen = await scrapeUntil(tracker, infoHash, 'http', (s) => s.complete === 1, 10_000, 'scrape while the seeder is up');
    assert.deepEqual(seen, { complete: 1, downloaded: 0, incomplete: 0 });

    const out = payload.dir('aria2');
    leecher = startAria2({ mode: 'leech', torrentFile: payload.torrentFile, dir: out, listenPort: await freePort(), lifetimeSeconds: 40, logFile: path.join(payload.root, 'aria2.log') });
    const code = await leecher.exitWithin(45_000);
    assert.equal(code, 0, `aria2 did not complete: ${leecher.stdout()}${leecher.stderr()}\nlibtorrent: ${seeder.stdout()}`);
    payload.assertSame(out);

    // With --seed-time=0 aria2 sends no `completed`, only `stopped` with left=0: a known leecher that
    // reports left=0 has finished, so it is counted as a download all the same.
    const after = await scrapeUntil(tracker, infoHash, 'http', (s) => s.downloaded === 1 && s.incomplete === 0, 5000, 'scrape after the download');
    assert.deepEqual(after, { complete: 1, downloaded: 1, incomplete: 0 });
    assert.equal(tracker.stats().requests.udp.announce, 0, 'the torrent names the HTTP URL only');

    await seeder.stop(8000);
    const gone = await scrapeUntil(tracker, infoHash, 'http', (s) => s.complete === 0, 5000, 'scrape after the seeder stopped');
    assert.deepEqual(gone, { complete: 0, downloaded: 1, incomplete: 0 });
    t.diagnostic(`tracker requests: ${JSON.stringify(tracker.stats().requests)}`);
  } finally {
    await leecher?.stop();
    await seeder?.stop();
    await tracker.stop();
    payload.cleanup();
  }
});
