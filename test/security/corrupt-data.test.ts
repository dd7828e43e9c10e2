import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { ClosureLog, listenLiar, startSeeder, startSession } from './harness.js';
import { until } from '../support/until.js';

/**
 * A raw peer that answers every request with wrong bytes, next to an honest seeder: its pieces fail
 * their hash, it is banned after 3 strikes or by block-level proof (and not redialled), the failed pieces are fetched again
 * from the honest seeder, and the download ends byte-exact.
 */
test('a peer sending wrong blocks is banned and the download ends byte-exact from the honest peer', async () => {
  // One block per piece: a failed piece has exactly one contributor, so the blame is exact.
  const payload = await makePayload({ multiFile: false, size: 4 * 1024 * 1024, pieceLength: 16384 });
  const seeder = await startSeeder(payload);
  const liar = await listenLiar(payload, (m, real) => {
    const block = Buffer.from(real);
    const middle = block.length >> 1;
    block[middle] = block[middle]! ^ 0x55; // one wrong byte per block
    return { type: 'piece', index: m.index, begin: m.begin, block };
  });
  const session = await startSession();
  try {
    const dir = payload.dir('victim');
    const handle = session.add(payload.meta, { downloadDir: dir, noTrackers: true, peers: [{ host: '127.0.0.1', port: liar.port }] });
    const closures = new ClosureLog(handle);
    const failed: { index: number; peers: string[] }[] = [];
    handle.events$.subscribe((e) => {
      if (e.type === 'piece-failed') failed.push({ index: e.index, peers: e.peers });
    });
    const done = handle.whenComplete();
    done.catch(() => {});
    // The honest seeder joins once the liar has been asked for blocks.
    await until(() => liar.corrupted > 0, { what: 'requests to the liar' });
    handle.addPeers([{ host: '127.0.0.1', port: seeder.session.port }]);
    const reason = await closures.reasonFor(`127.0.0.1:${liar.port}`, 20_000);
    // By strikes (its single-sender pieces failing), or by block once one of them verified from the seeder.
    assert.match(reason, /^banned: (sent 3 pieces that failed their hash|sent a corrupt block \(piece \d+, block 0\))$/);
    await withTimeout(done, 60_000, 'download');
    payload.assertSame(dir);
    assert.ok(failed.length >= 3, `${failed.length} pieces failed`);
    // Every failure was blamed on the liar alone, never on the honest seeder.
    for (const f of failed) assert.deepEqual(f.peers.map((p) => p.replace(/#\d+$/, '')), [`127.0.0.1:${liar.port}`]);
    assert.equal(liar.peers.length, 1, 'the banned peer was dialled again');
    const seederClosures = closures.reasonsFor(`127.0.0.1:${seeder.session.port}`).filter((r) => r !== 'torrent stopped');
    assert.deepEqual(seederClosures, [], 'the honest seeder was disconnected');
  } finally {
    await session.close();
    await seeder.session.close();
    await liar.close();
    payload.cleanup();
  }
});
