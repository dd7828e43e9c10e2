import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileSpans, wantedPieces } from '../../src/daemon/torrent-layout.js';
import { inlineHasher } from '../../src/env/hasher.js';
import { piecePriorities } from '../../src/policy/file-priorities.js';
import type { Metainfo } from '../../src/protocol/metainfo/index.js';
import { Session, type TorrentHandle, type TorrentSessionEvent } from '../../src/session.js';
import { memoryStorageFactory } from '../../src/storage/memory-storage.js';
import { hasBit } from '../../src/util/bits.js';
import { cleanups, makeTorrent, startSeeder, tempDir } from '../daemon/daemon-fixture.js';
import { withTimeout } from '../engine/swarm-helpers.js';
import { until } from '../support/until.js';

/**
 * The file selection of a running torrent, through the TorrentHandle over real sockets on loopback
 * and real files: priorities order the download, wanted files change while it runs (no restart),
 * and the read API tells piece availability and the check's progress.
 */

const selection = (meta: Metainfo, wanted: boolean[], priorities: number[] = []) => {
  const spans = fileSpans(meta);
  return { wanted: wantedPieces(meta, spans, wanted), priorities: piecePriorities(meta.pieceCount, spans, wanted, priorities) };
};

async function leecherSession(later: (fn: () => Promise<unknown>) => void): Promise<Session> {
  const session = new Session({ host: '127.0.0.1', port: 0 });
  await session.listen();
  later(() => session.close());
  return session;
}

function record(handle: TorrentHandle): TorrentSessionEvent[] {
  const events: TorrentSessionEvent[] = [];
  handle.events$.subscribe((e) => events.push(e));
  return events;
}

const verifiedOrder = (events: TorrentSessionEvent[]) => events.flatMap((e) => (e.type === 'piece-verified' ? [e.index] : []));

test('priorities: the high file is fetched first and the low one last; a piece shared by two files takes the higher', { timeout: 60_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later, 'actorrent-select-');
  // 3 files of 80 000 bytes in 16 KiB pieces: file 0 is pieces 0-4, file 1 pieces 4-9, file 2 pieces 9-14.
  const torrent = await makeTorrent(dir, { name: 'prio', files: [80_000, 80_000, 80_000], seed: 21 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [torrent], { trackers: false });
  later(() => seeder.close());
  const session = await leecherSession(later);
  const chosen = selection(torrent.meta, [true, true, true], [-1, 0, 1]);
  const handle = session.add(torrent.meta, {
    downloadDir: path.join(dir, 'leech'),
    seed: true,
    noTrackers: true,
    ...chosen,
    // Slow enough that requests go out a few at a time, in the picker's order.
    downloadLimit: 80_000,
  });
  const events = record(handle);
  assert.deepEqual(
    handle.pieces().map((p) => p.priority),
    [-1, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
    'piece 4 (low and normal files) is normal, piece 9 (normal and high) is high',
  );
  handle.addPeers([{ host: '127.0.0.1', port: seeder.session.port }]);
  await withTimeout(handle.whenComplete(), 30_000, 'the download');
  const order = verifiedOrder(events);
  assert.equal(order.length, 15);
  const position = (piece: number) => order.indexOf(piece);
  const high = [9, 10, 11, 12, 13, 14];
  const low = [0, 1, 2, 3];
  for (const h of high) for (const l of low) assert.ok(position(h) < position(l), `high piece ${h} before low piece ${l}: ${order.join(' ')}`);
  assert.ok(high.includes(order[0]!), `the first piece verified is a high one: ${order.join(' ')}`);
  assert.ok(low.includes(order.at(-1)!), `the last piece verified is a low one: ${order.join(' ')}`);
  for (const [i, file] of torrent.meta.files.entries()) assert.deepEqual(await readFile(path.join(dir, 'leech', ...file.path)), torrent.contents[i]);
});

test('setFileSelection: a complete torrent wants another file and downloads it on the same connection, no restart', { timeout: 60_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later, 'actorrent-select-');
  // The first file ends where a piece does: wanting it wants nothing of the second.
  const torrent = await makeTorrent(dir, { name: 'more', files: [65_536, 50_000], seed: 22 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [torrent], { trackers: false });
  later(() => seeder.close());
  const session = await leecherSession(later);
  const leechDir = path.join(dir, 'leech');
  const handle = session.add(torrent.meta, { downloadDir: leechDir, seed: true, noTrackers: true, ...selection(torrent.meta, [true, false]) });
  const events = record(handle);
  handle.addPeers([{ host: '127.0.0.1', port: seeder.session.port }]);
  await withTimeout(handle.whenComplete(), 20_000, 'the first file');
  await until(() => handle.state === 'seeding', { what: 'seeding the first file' });
  assert.deepEqual(handle.files().map((f) => f.wanted), [true, false]);
  const [peer] = handle.peers();
  assert.ok(peer, 'connected to the seeder');

  const complete = new Promise<void>((resolve) => handle.events$.subscribe((e) => e.type === 'complete' && resolve()));
  handle.setFileSelection(selection(torrent.meta, [true, true]));
  assert.equal(handle.state, 'downloading', 'downloading again at once');
  assert.ok(events.some((e) => e.type === 'incomplete'), 'told as `incomplete`');
  await withTimeout(complete, 20_000, 'the second file');
  assert.equal(handle.state, 'seeding');
  assert.deepEqual(handle.progress().have, torrent.meta.pieceCount);
  assert.deepEqual(await readFile(path.join(leechDir, 'more', 'file-1.bin')), torrent.contents[1]);
  assert.deepEqual(handle.peers().map((p) => p.key), [peer.key], 'the same connection: nothing was restarted');
  assert.equal(events.filter((e) => e.type === 'checked').length, 1, 'checked once');
});

test('setFileSelection: files no longer wanted are no longer requested; the torrent completes with what is wanted', { timeout: 60_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later, 'actorrent-select-');
  const torrent = await makeTorrent(dir, { name: 'less', files: [64_000, 200_000], seed: 23 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [torrent], { trackers: false });
  later(() => seeder.close());
  const session = await leecherSession(later);
  // File 0 high, so it is fetched first; the limit keeps most of file 1 unrequested when we change our mind.
  const handle = session.add(torrent.meta, { downloadDir: path.join(dir, 'leech'), seed: true, noTrackers: true, downloadLimit: 60_000, ...selection(torrent.meta, [true, true], [1, 0]) });
  const firstVerified = new Promise<void>((resolve) => handle.events$.subscribe((e) => e.type === 'piece-verified' && resolve()));
  handle.addPeers([{ host: '127.0.0.1', port: seeder.session.port }]);
  await withTimeout(firstVerified, 20_000, 'a first piece');

  handle.setFileSelection(selection(torrent.meta, [true, false]));
  // Pieces already had or complete and being verified may still count; nothing else of file 1 may come.
  const allowed = handle.pieces().map((p) => p.state === 'have' || p.state === 'verifying' || p.wanted);
  await withTimeout(handle.whenComplete(), 20_000, 'the wanted file');
  const have = handle.haveBitfield();
  for (let i = 0; i < torrent.meta.pieceCount; i++) if (hasBit(have, i)) assert.ok(allowed[i], `piece ${i} of the unwanted file was fetched after it was unwanted`);
  const wantedPiecesCount = handle.pieces().filter((p) => p.wanted).length;
  assert.ok(wantedPiecesCount < torrent.meta.pieceCount);
  assert.equal(handle.progress().total, wantedPiecesCount);
  await until(() => handle.peers()[0]?.amInterested === false, { what: 'no longer interested in the seeder' });
  assert.equal(handle.peers()[0]!.requestsOut, 0, 'no request left outstanding');
  assert.deepEqual(await readFile(path.join(dir, 'leech', 'less', 'file-0.bin')), torrent.contents[0]);
});

test('availability: per piece, the connected peers that have it, -1 for our own', { timeout: 60_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later, 'actorrent-select-');
  const torrent = await makeTorrent(dir, { name: 'avail', files: [60_000, 50_000], seed: 24 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [torrent], { trackers: false });
  later(() => seeder.close());
  const session = await leecherSession(later);
  const handle = session.add(torrent.meta, { downloadDir: path.join(dir, 'leech'), seed: true, noTrackers: true, ...selection(torrent.meta, [true, false]) });
  assert.deepEqual(handle.availability(), Array(torrent.meta.pieceCount).fill(0), 'nobody connected, nothing had');
  handle.addPeers([{ host: '127.0.0.1', port: seeder.session.port }]);
  await withTimeout(handle.whenComplete(), 20_000, 'the first file');
  const have = handle.haveBitfield();
  const availability = handle.availability();
  assert.equal(availability.length, torrent.meta.pieceCount);
  availability.forEach((count, i) => assert.equal(count, hasBit(have, i) ? -1 : 1, `piece ${i}: the seeder has it${hasBit(have, i) ? ', and so do we' : ''}`));
  assert.ok(availability.includes(1) && availability.includes(-1));
});

test('checkProgress: the share of the pieces the initial check has looked at, rising while it runs, 1 after', { timeout: 30_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later, 'actorrent-select-');
  // Pieces of 1 MiB are read one at a time (smaller ones go in runs of up to 1 MiB, one progress step each).
  const pieceLength = 1024 * 1024;
  const torrent = await makeTorrent(dir, { name: 'check.bin', length: 24 * pieceLength, pieceLength, seed: 25 });
  // A slow disk (40 ms a read): the check takes a while.
  const storage = memoryStorageFactory({ latencyMs: 40, delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
  const disk = storage.open(torrent.meta, dir);
  await disk.prepare();
  await disk.write(0, torrent.contents[0]!);
  await disk.close();
  const session = new Session({ host: '127.0.0.1', port: 0, storage, hasher: inlineHasher });
  later(() => session.close());
  const handle = session.add(torrent.meta, { downloadDir: dir, seed: true, noTrackers: true });
  const seen: number[] = [];
  await until(
    () => {
      seen.push(handle.checkProgress());
      return handle.state !== 'checking';
    },
    { what: 'the check to end', timeoutMs: 20_000, intervalMs: 5 },
  );
  assert.equal(handle.checkProgress(), 1);
  assert.equal(handle.progress().have, 24, 'every piece found');
  const during = seen.slice(0, -1);
  assert.ok(during.some((p) => p > 0 && p < 1), `values between 0 and 1 while checking: ${during.join(' ')}`);
  for (let i = 1; i < during.length; i++) assert.ok(during[i]! >= during[i - 1]!, 'never goes back');
});
