import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TorrentSessionEvent } from '../../src/session.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { ClosureLog, RAW_PEER_ID, listenLiar, startSeeder, startSession } from './harness.js';

/**
 * Block-level blame over real sockets: a liar and an honest seeder each send part of the pieces (the
 * liar only the first block of each, wrong; it rejects the others), so every failed piece has both
 * as senders and piece-level strikes could not tell them apart. Once a failed piece verifies from
 * the honest seeder, the liar's remembered block differs from the good one: it is banned at once,
 * by block; the seeder never is, and the download ends byte-exact.
 */
test('smart ban: the peer that sent the corrupt block of a shared piece is banned once the piece verifies', async () => {
  const payload = await makePayload({ multiFile: false, size: 2 * 1024 * 1024, pieceLength: 65536 });
  const seeder = await startSeeder(payload);
  const liar = await listenLiar(payload, (m, real) => {
    if (m.begin !== 0) return { type: 'reject', index: m.index, begin: m.begin, length: m.length };
    const block = Buffer.from(real);
    block[100] = block[100]! ^ 0x01;
    return { type: 'piece', index: m.index, begin: m.begin, block };
  });
  const session = await startSession();
  try {
    const dir = payload.dir('victim');
    const liarAddress = `127.0.0.1:${liar.port}`;
    const seederAddress = `127.0.0.1:${seeder.session.port}`;
    const handle = session.add(payload.meta, {
      downloadDir: dir,
      noTrackers: true,
      peers: [
        { host: '127.0.0.1', port: liar.port },
        { host: '127.0.0.1', port: seeder.session.port },
      ],
    });
    const closures = new ClosureLog(handle);
    const events: TorrentSessionEvent[] = [];
    handle.events$.subscribe((e) => events.push(e));
    await withTimeout(handle.whenComplete(), 60_000, 'download');
    payload.assertSame(dir);

    const bans = events.filter((e) => e.type === 'peer-banned');
    assert.equal(bans.length, 1, `one ban: ${JSON.stringify(bans)}`);
    const ban = bans[0]!;
    assert.equal(ban.address, liarAddress);
    assert.equal(ban.peerId, RAW_PEER_ID.toString('hex'));
    const proof = /^banned: sent a corrupt block \(piece (\d+), block 0\)$/.exec(ban.reason);
    assert.ok(proof, `banned by block, not by strikes: ${ban.reason}`);
    const failed = events.filter((e) => e.type === 'piece-failed');
    assert.ok(liar.corrupted > 0 && failed.length > 0, `${liar.corrupted} corrupt blocks sent, ${failed.length} pieces failed`);
    // Failed pieces had both peers as senders: piece-level blame could not have told them apart.
    assert.ok(
      failed.some((f) => f.peers.length === 2),
      `a failed piece shared by both peers: ${JSON.stringify(failed.map((f) => f.peers))}`,
    );
    // The ban came with the first failed piece that verified, and names it.
    const failedIndexes = new Set(failed.map((f) => f.index));
    const firstReverified = events.findIndex((e) => e.type === 'piece-verified' && failedIndexes.has(e.index));
    const firstReverifiedEvent = events[firstReverified];
    assert.ok(firstReverifiedEvent?.type === 'piece-verified');
    assert.equal(Number(proof[1]), firstReverifiedEvent.index, 'banned for the first failed piece that verified');
    assert.ok(events.indexOf(ban) > firstReverified, 'not banned before the proof');
    assert.match(closures.reasonsFor(liarAddress)[0] ?? '', /^banned: sent a corrupt block/);
    assert.equal(liar.peers.length, 1, 'the banned peer was dialled again');
    const seederClosures = closures.reasonsFor(seederAddress).filter((r) => r !== 'torrent stopped');
    assert.deepEqual(seederClosures, [], 'the honest seeder was disconnected');
    const suspects = handle.suspects();
    assert.equal(suspects.banned.length, 1);
    assert.equal(suspects.strikes.size, 0, 'no strikes: no failed piece had a single sender');
  } finally {
    await session.close();
    await seeder.session.close();
    await liar.close();
    payload.cleanup();
  }
});
