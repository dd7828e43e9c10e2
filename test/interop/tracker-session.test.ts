/**
 * actorrent's own peers use actorrent's tracker: a seeder Session and a leecher Session whose torrent
 * names only our tracker, once over HTTP and once over UDP (each on a tracker serving that protocol
 * alone, so nothing else could have brought them together). Everything on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '../../src/session.js';
import { startTracker } from '../../src/tracker-server.js';
import { makePayload, startSession, withTimeout } from '../engine/swarm-helpers.js';
import { scrapeUntil } from './clients/tracker-interop.js';

for (const over of ['http', 'udp'] as const) {
  test(`actorrent seeder and leecher find each other through our tracker over ${over.toUpperCase()}`, { timeout: 45_000 }, async () => {
    const tracker = await startTracker({ host: '127.0.0.1', port: 0, http: over === 'http', udp: over === 'udp', config: { interval: 60 } });
    const url = over === 'http' ? tracker.announceUrl! : tracker.udpUrl!;
    const payload = await makePayload({ multiFile: over === 'http', size: 3 * 1024 * 1024, pieceLength: 64 * 1024, trackers: [url] });
    const sessions: Session[] = [];
    try {
      const seederSession = await startSession();
      sessions.push(seederSession);
      const seeder = seederSession.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
      await withTimeout(seeder.whenComplete(), 10_000, 'seeder check');
      await scrapeUntil(tracker, payload.meta.infoHash, over, (s) => s.complete === 1, 10_000, 'the seeder announced');

      const leecherSession = await startSession();
      sessions.push(leecherSession);
      const out = payload.dir('leecher');
      const leecher = leecherSession.add(payload.meta, { downloadDir: out });
      await withTimeout(leecher.whenComplete(), 30_000, 'the download');
      payload.assertSame(out);

      await leecherSession.close();
      const afterLeecher = await scrapeUntil(tracker, payload.meta.infoHash, over, (s) => s.downloaded === 1 && s.complete === 1, 5000, 'completed, then stopped');
      assert.deepEqual(afterLeecher, { complete: 1, downloaded: 1, incomplete: 0 });
      await seederSession.close();
      await scrapeUntil(tracker, payload.meta.infoHash, over, (s) => s.complete === 0, 5000, 'the seeder stopped');

      const requests = tracker.stats().requests;
      const announces = over === 'http' ? requests.http.announce : requests.udp.announce;
      assert.ok(announces >= 4, `started ×2, completed, stopped ×2: ${JSON.stringify(requests)}`);
      if (over === 'udp') assert.equal(requests.udp.failed, 0, 'every connection id was accepted, though each request came from a fresh socket');
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
      await tracker.stop();
      payload.cleanup();
    }
  });
}
