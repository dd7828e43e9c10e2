import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { until } from '../support/until.js';
import { cleanups, makeTorrent, rawRpc, startLoopbackTracker, startSeeder, startTestDaemon, tempDir } from './daemon-fixture.js';

/**
 * File priorities and wanted files through the classic RPC reach the running torrent: its piece
 * priorities follow them (a piece takes the highest of its wanted files), a file wanted later is
 * fetched without restarting the torrent, and torrent-get's `availability` and `recheckProgress`
 * come from the torrent itself.
 */
test('torrent-add / torrent-set priorities and files wanted steer the running torrent; availability and recheckProgress are real', { timeout: 90_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const tracker = await startLoopbackTracker();
  later(() => tracker.stop());
  // 3 files of 80 000 bytes in 16 KiB pieces: file 0 is pieces 0-4, file 1 pieces 4-9, file 2 pieces 9-14.
  const torrent = await makeTorrent(dir, { name: 'steer', files: [80_000, 80_000, 80_000], trackers: [tracker.announceUrl!], seed: 31 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [torrent]);
  later(() => seeder.close());
  const daemon = await startTestDaemon(dir);
  later(() => daemon.close());
  const rpc = async (method: string, args: Record<string, unknown>) => {
    const res = await rawRpc(daemon.url, JSON.stringify({ method, arguments: args }));
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as { result: string; arguments: Record<string, unknown> };
    assert.equal(body.result, 'success', `${method}: ${res.text}`);
    return body.arguments;
  };
  const get = async (fields: string[]) => ((await rpc('torrent-get', { ids: [torrent.meta.infoHashHex], fields })) as { torrents: Record<string, unknown>[] }).torrents[0]!;

  await rpc('torrent-add', { metainfo: torrent.bytes.toString('base64'), paused: true, 'files-unwanted': [1], 'priority-high': [2], 'priority-low': [0] });
  const entry = daemon.daemon.get(torrent.meta.infoHashHex)!;
  assert.deepEqual((await get(['priorities'])).priorities, [-1, 0, 1]);
  await rpc('torrent-start', { ids: [torrent.meta.infoHashHex] });
  const handle = await until(() => entry.liveHandle(), { what: 'the torrent running' });
  // Piece 4 (file 0 low, file 1 unwanted) is low; piece 9 (file 1 unwanted, file 2 high) is high; 5-8 are not wanted.
  assert.deepEqual(handle.pieces().map((p) => p.priority), [-1, -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(handle.pieces().map((p) => p.wanted), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => i < 5 || i > 8));
  await until(() => entry.complete, { what: 'the wanted files', timeoutMs: 30_000, intervalMs: 100 });

  // A priority changed while running reaches the same torrent.
  await rpc('torrent-set', { ids: [torrent.meta.infoHashHex], 'priority-normal': [0] });
  assert.deepEqual(handle.pieces().map((p) => p.priority).slice(0, 5), [0, 0, 0, 0, 0]);
  assert.equal(entry.liveHandle(), handle);

  // Availability: the seeder is connected; pieces we have are -1, the others (of the unwanted file) 1.
  const seeding = await until(
    async () => {
      const got = await get(['availability', 'status']);
      return got.status === 6 && (got.availability as number[]).includes(1) && got;
    },
    { what: 'seeding, with the seeder connected' },
  );
  assert.deepEqual(seeding.availability, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => (i < 5 || i > 8 ? -1 : 1)));

  // The unwanted file wanted now: fetched by the same torrent, no restart.
  await rpc('torrent-set', { ids: [torrent.meta.infoHashHex], 'files-wanted': [1] });
  assert.equal(entry.liveHandle(), handle, 'the same TorrentHandle: not restarted');
  await until(() => entry.complete && entry.byteProgress().sizeWhenDone === 240_000, { what: 'the second file', timeoutMs: 30_000, intervalMs: 100 });
  assert.equal(entry.liveHandle(), handle, 'still the same TorrentHandle');
  await until(() => entry.phase === 'seeding', { what: 'seeding again' });
  for (const [i, file] of torrent.meta.files.entries()) assert.deepEqual(await readFile(path.join(daemon.downloadDir, ...file.path)), torrent.contents[i]);
  assert.deepEqual((await get(['availability'])).availability, Array(15).fill(-1), 'every piece ours');

  // recheckProgress: 0 when not checking; while verifying, a fraction that never goes back.
  assert.equal((await get(['recheckProgress'])).recheckProgress, 0);
  await rpc('torrent-verify', { ids: [torrent.meta.infoHashHex] });
  const seen: number[] = [];
  await until(
    async () => {
      const got = await get(['status', 'recheckProgress']);
      if (got.status === 2) seen.push(got.recheckProgress as number);
      return got.status === 6 && got;
    },
    { what: 'verified and seeding again', timeoutMs: 20_000, intervalMs: 0 },
  );
  for (const p of seen) assert.ok(p >= 0 && p <= 1, `recheckProgress ${p} is a fraction`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]! || seen[i] === 0, `recheckProgress goes forward: ${seen.join(' ')}`);
  assert.equal((await get(['recheckProgress'])).recheckProgress, 0);
});
