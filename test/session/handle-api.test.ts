import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resumePath } from '../../src/storage/resume-file.js';
import { makePayload, startSession, withTimeout } from '../engine/swarm-helpers.js';

/**
 * The TorrentHandle's read API over real sockets and files: progress, the have bitfield, per-file
 * bytes, the peers with their flags and totals, pause / resume as seen from outside, and resume
 * data saved by the Session.
 */

test('a leecher reads its progress, pieces, files and peers through the handle; pause shows as paused; resume data is saved on stop', async () => {
  const payload = await makePayload({ multiFile: true, size: 3 * 65536 + 1000, pieceLength: 16384 });
  const seeder = await startSession();
  const leecher = await startSession();
  try {
    const seed = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    await withTimeout(seed.whenComplete(), 10_000, 'the seeder checked its data');
    assert.equal(seed.progress().state, 'seeding');
    assert.deepEqual(
      seed.files().map((f) => [f.path.join('/'), f.bytesDone === f.length, f.wanted]),
      payload.meta.files.map((f) => [f.path.join('/'), true, true]),
    );

    const dir = payload.dir('leech');
    const handle = leecher.add(payload.meta, { downloadDir: dir, seed: true, peers: [{ host: '127.0.0.1', port: seeder.port }], saveResume: true });
    const before = handle.files();
    assert.ok(before.every((f) => f.bytesDone === 0 || f.length === 0), 'nothing verified yet');
    await withTimeout(handle.whenComplete(), 20_000, 'the download');
    payload.assertSame(dir);

    const progress = handle.progress();
    assert.equal(progress.have, payload.meta.pieceCount);
    assert.equal(progress.total, payload.meta.pieceCount);
    assert.equal(progress.downloaded, payload.meta.length);
    const bits = handle.haveBitfield();
    for (let i = 0; i < payload.meta.pieceCount; i++) assert.ok(bits[i >> 3]! & (0x80 >> (i & 7)), `piece ${i} had`);
    assert.ok(handle.pieces().every((p) => p.state === 'have' && p.wanted));
    assert.deepEqual(
      handle.files().map((f) => f.bytesDone),
      payload.meta.files.map((f) => f.length),
      'every file fully inside verified pieces',
    );

    const [peer] = handle.peers();
    assert.ok(peer, 'the seeder is listed');
    assert.equal(peer.address, `127.0.0.1:${seeder.port}`);
    assert.equal(peer.direction, 'outgoing');
    assert.equal(peer.stage, 'active');
    assert.equal(peer.peerId, seeder.peerId.toString('hex'));
    assert.match(peer.client ?? '', /actorrent/i);
    assert.equal(peer.downloaded, payload.meta.length);
    assert.equal(peer.requestsOut, 0);
    const seen = seed.peers().find((p) => p.peerId === leecher.peerId.toString('hex'));
    assert.ok(seen, 'the seeder lists the leecher');
    assert.equal(seen.uploaded, payload.meta.length);
    assert.equal(seed.uploadedByPeer().get(leecher.peerId.toString('hex')), payload.meta.length);

    assert.equal(handle.progress().state, 'seeding');
    seed.pause();
    assert.equal(seed.progress().state, 'paused');
    assert.ok(seed.peers().every((p) => p.amChoking), 'paused: everyone choked');
    seed.resume();
    assert.equal(seed.progress().state, 'seeding');

    await leecher.close();
    assert.ok(existsSync(resumePath(dir, payload.meta)), `resume data in ${path.join(dir, '.actorrent')}`);
    const verdict = await leecher.readResume(payload.meta, dir);
    assert.ok(verdict.trusted, 'the saved resume data is trusted');
  } finally {
    await leecher.close();
    await seeder.close();
    payload.cleanup();
  }
});
