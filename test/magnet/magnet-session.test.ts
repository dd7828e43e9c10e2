/**
 * Magnet downloads between actorrent sessions on loopback: the leecher has only the infohash and
 * the seeder's address, fetches the info dictionary over ut_metadata (BEP 9), then downloads.
 * With several peers offering metadata, pieces come from more than one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/session.js';
import { makePayload } from '../engine/swarm-helpers.js';

test('a magnet download fetches the metadata from a seeder, then the data, byte-exact', async () => {
  const payload = await makePayload({ multiFile: true, size: 36_000_000, pieceLength: 16384 });
  const seeder = new Session({ host: '127.0.0.1' });
  const leecher = new Session({ host: '127.0.0.1' });
  try {
    const port = await seeder.listen();
    await leecher.listen();
    const seeding = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    await new Promise<void>((resolve) => seeding.events$.subscribe((e) => e.type === 'checked' && resolve()));
    // A multi-file torrent with 16 KiB pieces: an info dictionary of several ut_metadata pieces.
    assert.ok(payload.meta.infoBytes.length > 16384 * 2, `info dictionary of ${payload.meta.infoBytes.length} bytes`);

    const fetch = leecher.fetchMetadata(payload.meta.infoHash, { peers: [{ host: '127.0.0.1', port }] });
    const progress: number[] = [];
    fetch.events$.subscribe((e) => e.type === 'metadata-progress' && progress.push(e.received));
    const fetched = await fetch.whenFetched();
    assert.ok(fetched.meta.infoHash.equals(payload.meta.infoHash), 'same infohash');
    assert.ok(fetched.meta.infoBytes.equals(payload.meta.infoBytes), 'same info dictionary');
    assert.deepEqual(fetched.peers, [{ host: '127.0.0.1', port }]);

    const out = payload.dir('leech');
    const download = leecher.add(fetched.meta, { downloadDir: out, peers: fetched.peers, noTrackers: true });
    await download.whenComplete();
    payload.assertSame(out);
  } finally {
    await leecher.close();
    await seeder.close();
    payload.cleanup();
  }
});
