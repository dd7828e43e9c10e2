import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { requireTool } from '../support/tools.js';
import { until } from '../support/until.js';
import { cleanups, makeTorrent, startLoopbackTracker, startSeeder, startTestDaemon, tempDir, transmissionRemote } from './daemon-fixture.js';

/**
 * Debian's transmission-remote (Transmission 3.00, the classic RPC form) drives the daemon; every
 * answer is checked against what the daemon did: files on disk, bytes moved, its torrents' state.
 */
test('transmission-remote drives the daemon: add a torrent and a magnet, list, info, files, peers, stop/start, a limit, verify, remove with data', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, ['transmission-remote', '--version'], 'transmission-cli')) return;
  const later = cleanups(t);
  const dir = await tempDir(later);
  const tracker = await startLoopbackTracker();
  later(() => tracker.stop());
  const multi = await makeTorrent(dir, { name: 'multi', files: [150_000, 90_000], trackers: [tracker.announceUrl!], seed: 3 });
  const single = await makeTorrent(dir, { name: 'single.bin', length: 70_000, seed: 4 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [multi, single]);
  later(() => seeder.close());
  const daemon = await startTestDaemon(dir);
  later(() => daemon.close());
  const remote = (...args: string[]) => transmissionRemote(daemon.rpcAddress, args);

  // Added paused (session-set start-added-torrents), limited to 40 kB/s, then started.
  await remote('--start-paused');
  assert.equal(daemon.daemon.settings.start_added_torrents, false);
  assert.match(await remote('-a', multi.file), /success/);
  const entry = daemon.daemon.get(multi.meta.infoHashHex)!;
  assert.ok(entry, 'the daemon has the torrent');
  assert.equal(entry.saved.stopped, true);
  assert.equal(entry.running, false);
  assert.match(await remote('-l'), /Stopped\s+multi/);

  await remote('-t', String(entry.id), '-d', '40');
  assert.equal(entry.saved.download_limit, 40);
  assert.equal(entry.saved.download_limited, true);
  const started = performance.now();
  await remote('-t', String(entry.id), '-s');
  // While it downloads: the seeder is one of its peers.
  const peers = await until(async () => {
    const out = await remote('-t', String(entry.id), '-pi');
    return /127\.0\.0\.1/.test(out) && out;
  }, { what: 'the seeder listed by -pi', timeoutMs: 20_000, intervalMs: 200 });
  assert.match(peers, /actorrent/i);
  await until(() => entry.complete, { what: 'the download to complete', timeoutMs: 30_000, intervalMs: 100 });
  const seconds = (performance.now() - started) / 1000;
  // 240 kB at 40 kB/s: at least ~5 s even with a first burst (the bucket holds a tenth of a second).
  assert.ok(seconds > 4, `the 40 kB/s limit held: ${seconds.toFixed(1)} s for 240 kB`);
  for (const [i, file] of multi.meta.files.entries()) {
    assert.deepEqual(await readFile(path.join(daemon.downloadDir, ...file.path)), multi.contents[i], `${file.path.join('/')} is the seeder's`);
  }

  const list = await remote('-l');
  assert.match(list, new RegExp(`\\s${entry.id}\\*?\\s+100%.*multi`));
  const info = await remote('-t', String(entry.id), '-i');
  assert.match(info, new RegExp(`Hash: ${multi.meta.infoHashHex}`));
  assert.match(info, /Percent Done: 100%/);
  assert.match(info, new RegExp(`Location: ${daemon.downloadDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(info, /Download Limit: 40 kB\/s/);
  const files = await remote('-t', String(entry.id), '-f');
  assert.match(files, /0: 100% Normal\s+Yes\s+150\.0 kB\s+multi\/file-0\.bin/);
  assert.match(files, /1: 100% Normal\s+Yes\s+90\.00? kB\s+multi\/file-1\.bin/);

  // Stop and start: the daemon's torrent stops (no handle) and runs again.
  await remote('-t', String(entry.id), '-S');
  await until(() => entry.phase === 'stopped' && !entry.running, { what: 'the torrent to stop' });
  assert.match(await remote('-l'), /Stopped\s+multi/);
  await remote('-t', String(entry.id), '-s');
  await until(() => entry.phase === 'seeding', { what: 'the torrent to seed again', timeoutMs: 10_000 });

  // Verify finds a byte changed behind its back (size and mtime kept, so only hashing can tell) and fetches that piece again.
  await remote('-t', String(entry.id), '-S');
  await until(() => !entry.running, { what: 'stopped before the damage' });
  const damaged = path.join(daemon.downloadDir, 'multi', 'file-0.bin');
  // The resume data keeps each mtime to the nanosecond, which utimes cannot set back: give the file a
  // whole-second mtime and have the daemon record it (a run and a stop), so the damage can keep it exactly.
  const wholeSecond = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  await utimes(damaged, wholeSecond, wholeSecond);
  await remote('-t', String(entry.id), '-s');
  await until(() => entry.phase === 'seeding', { what: 'seeding after the mtime change' });
  await remote('-t', String(entry.id), '-S');
  await until(() => !entry.running, { what: 'stopped again before the damage' });
  const before = await stat(damaged);
  const bytes = await readFile(damaged);
  bytes[20_000] = bytes[20_000]! ^ 0xff;
  await writeFile(damaged, bytes);
  await utimes(damaged, before.atime, before.mtime);
  const downloadedBefore = entry.totals().downloaded;
  await remote('-t', String(entry.id), '-s');
  await until(() => entry.phase === 'seeding', { what: 'started again on trusted resume data' });
  assert.equal(entry.complete, true, 'without a verify, the resume data is trusted');
  await remote('-t', String(entry.id), '-v');
  await until(() => !entry.complete, { what: 'verify to find the damaged piece', timeoutMs: 10_000 });
  await until(() => entry.complete, { what: 'the damaged piece fetched again', timeoutMs: 30_000, intervalMs: 100 });
  const refetched = entry.totals().downloaded - downloadedBefore;
  assert.ok(refetched >= 16 * 1024 && refetched <= 4 * 16 * 1024, `one piece fetched again, not the torrent: ${refetched} bytes`);
  assert.deepEqual(await readFile(damaged), multi.contents[0]);

  // A magnet link with the seeder as x.pe: metadata, then the data.
  const magnet = `magnet:?xt=urn:btih:${single.meta.infoHashHex}&dn=single.bin&x.pe=127.0.0.1:${seeder.session.port}`;
  await remote('--no-start-paused');
  assert.match(await remote('-a', magnet), /success/);
  const fromMagnet = daemon.daemon.get(single.meta.infoHashHex)!;
  await until(() => fromMagnet.complete, { what: 'the magnet to download', timeoutMs: 30_000, intervalMs: 100 });
  assert.deepEqual(await readFile(path.join(daemon.downloadDir, 'single.bin')), single.contents[0]);
  assert.match(await remote('-l'), /100%.*single\.bin/);

  // Remove with data: the files and the torrent are gone, the other torrent is untouched.
  await remote('-t', String(fromMagnet.id), '--remove-and-delete');
  await until(() => daemon.daemon.get(single.meta.infoHashHex) === undefined, { what: 'the magnet torrent removed' });
  await assert.rejects(access(path.join(daemon.downloadDir, 'single.bin')), 'its data is deleted');
  await assert.rejects(access(daemon.daemon.store.torrentFile(single.meta.infoHashHex)), 'its saved .torrent is deleted');
  const after = await remote('-l');
  assert.doesNotMatch(after, /single\.bin/);
  assert.match(after, /multi/);
  await access(path.join(daemon.downloadDir, 'multi', 'file-1.bin'));
});
