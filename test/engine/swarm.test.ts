import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filter, firstValueFrom } from 'rxjs';
import { makePayload, startSession, withTimeout } from './swarm-helpers.js';
import type { Session } from '../../src/session.js';

test('1 seeder + 5 leechers started together: all complete, and the leechers serve each other', async () => {
  const payload = await makePayload({ multiFile: false, size: 8 * 1024 * 1024, pieceLength: 65536 });
  const sessions: Session[] = [];
  try {
    const seederSession = await startSession();
    sessions.push(seederSession);
    const seeder = seederSession.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    const leecherSessions = await Promise.all(Array.from({ length: 5 }, () => startSession()));
    sessions.push(...leecherSessions);
    const everyone = [seederSession, ...leecherSessions].map((s) => ({ host: '127.0.0.1', port: s.port }));
    const leechers = leecherSessions.map((s, i) =>
      s.add(payload.meta, {
        downloadDir: payload.dir(`leech-${i}`),
        seed: true, // keep serving the others after completing
        peers: everyone.filter((p) => p.port !== s.port),
      }),
    );
    await withTimeout(Promise.all(leechers.map((l) => l.whenComplete())), 60_000, 'all five downloads');
    leechers.forEach((_, i) => payload.assertSame(payload.dir(`leech-${i}`)));
    const seederUploaded = seeder.progress().uploaded;
    const leecherUploaded = leechers.reduce((sum, l) => sum + l.progress().uploaded, 0);
    // Without sharing the seeder would send 5 × 8 MiB; the leechers carried part of it.
    assert.ok(leecherUploaded > 0, 'leechers uploaded nothing to each other');
    assert.ok(seederUploaded < 4 * payload.meta.length, `seeder uploaded ${seederUploaded} bytes (${(seederUploaded / payload.meta.length).toFixed(2)}× the torrent)`);
    // Each leecher accepted the torrent exactly once; what was sent beyond that is endgame duplicates and late blocks.
    assert.equal(leechers.reduce((sum, l) => sum + l.progress().downloaded, 0), 5 * payload.meta.length);
    assert.ok(seederUploaded + leecherUploaded >= 5 * payload.meta.length);
    // Per-peer accounting (closed connections included) adds up to each peer's total.
    for (const t of [seeder, ...leechers]) {
      const perPeer = [...t.uploadedByPeer().values()].reduce((a, b) => a + b, 0);
      assert.equal(perPeer, t.progress().uploaded);
    }
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    payload.cleanup();
  }
});

test('a leecher that loses its only seeder mid-download finishes from a second seeder started later', async () => {
  const payload = await makePayload({ multiFile: true, size: 6 * 1024 * 1024, pieceLength: 32768 });
  const sessions: Session[] = [];
  try {
    const first = await startSession();
    sessions.push(first);
    const firstSeed = first.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    await withTimeout(firstSeed.whenComplete(), 10_000, 'first seeder check');
    const leecherSession = await startSession();
    sessions.push(leecherSession);
    const leechDir = payload.dir('leech');
    const download = leecherSession.add(payload.meta, { downloadDir: leechDir, peers: [{ host: '127.0.0.1', port: first.port }] });
    // Stop the only seeder once a fifth of the pieces are in.
    await withTimeout(
      new Promise<void>((resolve) => {
        const sub = download.events$.subscribe((e) => {
          if (e.type === 'piece-verified' && e.have >= payload.meta.pieceCount / 5) {
            sub.unsubscribe();
            resolve();
          }
        });
      }),
      20_000,
      'a fifth of the pieces',
    );
    // Its only connection is the seeder's: the leecher sees it closed.
    const seederGone = firstValueFrom(download.events$.pipe(filter((e) => e.type === 'peer-closed')));
    await first.close();
    const stalledAt = download.progress().have;
    assert.ok(stalledAt < payload.meta.pieceCount, 'the download finished before the seeder left');
    await withTimeout(seederGone, 10_000, 'the leecher seeing the seeder leave');
    assert.equal(download.progress().peers, 0);

    const second = await startSession();
    sessions.push(second);
    second.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    download.addPeers([{ host: '127.0.0.1', port: second.port }], 'test');
    await withTimeout(download.whenComplete(), 30_000, 'download from the second seeder');
    payload.assertSame(leechDir);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    payload.cleanup();
  }
});

test('resume: a download stopped half-way and restarted fetches only the missing pieces', async () => {
  const payload = await makePayload({ multiFile: true, size: 6 * 1024 * 1024, pieceLength: 32768 });
  const sessions: Session[] = [];
  try {
    const seederSession = await startSession();
    sessions.push(seederSession);
    seederSession.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    const leechDir = payload.dir('leech');
    const firstRun = await startSession();
    const partial = firstRun.add(payload.meta, { downloadDir: leechDir, peers: [{ host: '127.0.0.1', port: seederSession.port }] });
    await withTimeout(
      new Promise<void>((resolve) => {
        const sub = partial.events$.subscribe((e) => {
          if (e.type === 'piece-verified' && e.have >= payload.meta.pieceCount / 2) {
            sub.unsubscribe();
            resolve();
          }
        });
      }),
      20_000,
      'half the pieces',
    );
    await firstRun.close();

    const secondRun = await startSession();
    sessions.push(secondRun);
    const resumed = secondRun.add(payload.meta, { downloadDir: leechDir, peers: [{ host: '127.0.0.1', port: seederSession.port }] });
    const checked = await withTimeout(
      new Promise<{ have: number }>((resolve) => {
        const sub = resumed.events$.subscribe((e) => {
          if (e.type === 'checked') {
            sub.unsubscribe();
            resolve(e);
          }
        });
      }),
      10_000,
      'the check of the partial data',
    );
    assert.ok(checked.have >= payload.meta.pieceCount / 2, `only ${checked.have} pieces survived the restart`);
    assert.ok(checked.have < payload.meta.pieceCount);
    await withTimeout(resumed.whenComplete(), 30_000, 'the resumed download');
    payload.assertSame(leechDir);
    const missing = payload.meta.pieceCount - checked.have;
    const lastPieceShort = payload.meta.pieceCount * payload.meta.pieceLength - payload.meta.length;
    const fetched = resumed.progress().downloaded;
    assert.ok(fetched <= missing * payload.meta.pieceLength, `fetched ${fetched} bytes for ${missing} missing pieces`);
    assert.ok(fetched >= missing * payload.meta.pieceLength - lastPieceShort);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    payload.cleanup();
  }
});
