import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UploadEngine } from '../../src/engine/upload-engine.js';
import { FakePeer } from '../support/fake-peer-handle.js';

/**
 * The UploadEngine's promises to a peer with the fast extension (BEP 6): once we choke it, every
 * request it made is answered with its block or rejected, including those whose disk read was
 * under way at the choke — otherwise the peer waits on them until its own timeout.
 */

function engineWithSlowReads() {
  const reads: { release: () => void }[] = [];
  const engine = new UploadEngine({
    pieceCount: 4,
    pieceLength: 32768,
    totalLength: 4 * 32768,
    have: () => true,
    read: (_offset, length) => new Promise<Buffer>((resolve) => reads.push({ release: () => resolve(Buffer.alloc(length)) })),
    onViolation: (key, reason) => assert.fail(`${key} closed: ${reason}`),
    onReadError: (err) => assert.fail(String(err)),
  });
  return { engine, reads };
}

async function chokeWithReadsInFlight(fast: boolean) {
  const { engine, reads } = engineWithSlowReads();
  const peer = new FakePeer('p1', undefined, fast);
  engine.addPeer(peer.handle);
  engine.setChoking('p1', false);
  // 6 requests: 4 go to the disk at once (readsInFlight), 2 wait in the queue.
  for (let i = 0; i < 6; i++) peer.wire.messages$.next({ type: 'request', index: i >> 1, begin: (i & 1) * 16384, length: 16384 });
  assert.equal(reads.length, 4);
  engine.setChoking('p1', true);
  for (const read of reads) read.release();
  await new Promise((resolve) => setImmediate(resolve));
  return peer.sent;
}

test('choking a fast peer rejects its queued requests and those whose disk read was in flight; no block is sent', async () => {
  const sent = await chokeWithReadsInFlight(true);
  assert.deepEqual(
    sent.map((m) => `${m.type} ${'begin' in m ? `${m.index}:${m.begin}` : ''}`).sort(),
    ['reject 0:0', 'reject 0:16384', 'reject 1:0', 'reject 1:16384', 'reject 2:0', 'reject 2:16384'],
  );
});

test('choking a peer without the fast extension drops its requests silently (the choke cancels them)', async () => {
  assert.deepEqual(await chokeWithReadsInFlight(false), []);
});

test('a served block is released as reusable once a TCP wire has written it, and at once as not reusable on a wire that cannot tell', async () => {
  for (const reportsWrites of [true, false]) {
    const released: [number, boolean][] = [];
    const engine = new UploadEngine({
      pieceCount: 4,
      pieceLength: 32768,
      totalLength: 4 * 32768,
      have: () => true,
      read: async (offset, length) => Buffer.alloc(length, offset >> 14),
      release: (block, reusable) => released.push([block[0]!, reusable]),
      onViolation: (key, reason) => assert.fail(`${key} closed: ${reason}`),
      onReadError: (err) => assert.fail(String(err)),
    });
    const peer = new FakePeer('p1');
    peer.wire.reportsWrites = reportsWrites;
    engine.addPeer(peer.handle);
    engine.setChoking('p1', false);
    peer.wire.messages$.next({ type: 'request', index: 1, begin: 16384, length: 16384 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(peer.sent.filter((m) => m.type === 'piece').length, 1);
    if (reportsWrites) {
      assert.deepEqual(released, [], 'not before the socket has written it');
      peer.wire.written.forEach((done) => done());
      assert.deepEqual(released, [[3, true]]);
    } else {
      assert.deepEqual(released, [[3, false]]);
      assert.equal(peer.wire.written.length, 0);
    }
  }
});
