import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filter, firstValueFrom } from 'rxjs';
import { makePayload, startSession, withTimeout } from './swarm-helpers.js';
import { until } from '../support/until.js';

for (const multiFile of [false, true]) {
  test(`one seeder → one leecher over loopback TCP, ${multiFile ? 'multi-file (nested, zero-length)' : 'single file'}`, async () => {
    const payload = await makePayload({ multiFile, size: 2 * 1024 * 1024 + 4321, pieceLength: 32768 });
    const seeder = await startSession();
    const leecher = await startSession();
    try {
      const seeding = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
      await withTimeout(seeding.whenComplete(), 10_000, 'seeder check');
      const leechDir = payload.dir('leech');
      const download = leecher.add(payload.meta, { downloadDir: leechDir, peers: [{ host: '127.0.0.1', port: seeder.port }] });
      const events: string[] = [];
      download.events$.subscribe((e) => events.push(e.type));
      await withTimeout(download.whenComplete(), 30_000, 'download');
      await download.stop();
      payload.assertSame(leechDir);
      assert.ok(payload.meta.length % payload.meta.pieceLength !== 0, 'the last piece is shorter');
      assert.equal(events.filter((e) => e === 'piece-verified').length, payload.meta.pieceCount);
      assert.ok(events.includes('peer-connected'));
      assert.equal(seeding.progress().uploaded, payload.meta.length);
    } finally {
      await leecher.close();
      await seeder.close();
      payload.cleanup();
    }
  });
}

test('two peers that dial each other at the same moment keep exactly one connection between them', async () => {
  const payload = await makePayload({ multiFile: false, size: 512 * 1024, pieceLength: 32768 });
  const a = await startSession();
  const b = await startSession();
  try {
    const seeding = a.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    await withTimeout(seeding.whenComplete(), 10_000, 'seeder check');
    const leechDir = payload.dir('leech');
    const download = b.add(payload.meta, { downloadDir: leechDir, seed: true });
    // Each side closes the duplicate: one peer-closed on each, whichever side decided.
    const closed = [seeding, download].map((side) => firstValueFrom(side.events$.pipe(filter((e) => e.type === 'peer-closed'))));
    // Both dial at once: each side sees one incoming and one outgoing connection to the same peer id.
    seeding.addPeers([{ host: '127.0.0.1', port: b.port }]);
    download.addPeers([{ host: '127.0.0.1', port: a.port }]);
    await withTimeout(download.whenComplete(), 10_000, 'download over the surviving connection');
    payload.assertSame(leechDir);
    await withTimeout(Promise.all(closed), 10_000, 'the duplicate connection closed on both sides');
    // The other connection stays (it may still be finishing its handshake on one side).
    await until(() => seeding.progress().peers === 1 && download.progress().peers === 1, {
      what: () => `one connection left on each side (peers: ${seeding.progress().peers} and ${download.progress().peers})`,
    });
  } finally {
    await b.close();
    await a.close();
    payload.cleanup();
  }
});
