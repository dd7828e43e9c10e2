import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filter, firstValueFrom } from 'rxjs';
import type { ServerEmitted } from '../../src/actors/server.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { connectRawPeer } from '../support/tcp-raw-peer.js';
import { RAW_PEER_ID, startSession } from './harness.js';

/** Session.serverEvents$: every incoming connection is seen accepted, or rejected with the reason. */
test('serverEvents$ reports incoming connections accepted for a torrent and rejected for an unknown infohash', { timeout: 30_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: 64 * 1024, pieceLength: 16384 });
  const session = await startSession();
  const events: ServerEmitted[] = [];
  session.serverEvents$.subscribe((e) => events.push(e));
  /** The first server event that matches: one already seen, or the next one. */
  const emitted = async (match: (e: ServerEmitted) => boolean, what: string) =>
    events.find(match) ?? withTimeout(firstValueFrom(session.serverEvents$.pipe(filter(match))), 10_000, what);
  try {
    session.add(payload.meta, { downloadDir: payload.dir('down'), noTrackers: true });
    const stranger = await connectRawPeer(session.port);
    stranger.handshake({ infoHash: Buffer.alloc(20, 7), peerId: RAW_PEER_ID });
    const rejected = await emitted((e) => e.type === 'rejected', 'a rejection');
    assert.ok(rejected.type === 'rejected');
    assert.equal(rejected.address, stranger.localAddress);
    assert.match(rejected.reason, /unknown infohash/);
    await stranger.whenClosed();

    const peer = await connectRawPeer(session.port);
    peer.handshake({ infoHash: payload.meta.infoHash, peerId: RAW_PEER_ID });
    const accepted = await emitted((e) => e.type === 'accepted', 'an acceptance');
    assert.deepEqual(accepted, { type: 'accepted', address: peer.localAddress, infoHash: payload.meta.infoHashHex });
    peer.destroy();
  } finally {
    await session.close();
    payload.cleanup();
  }
});
