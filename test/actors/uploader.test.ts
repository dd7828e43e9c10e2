import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createActor } from 'xstate';
import { type UploaderInput, uploaderMachine } from '../../src/actors/uploader.js';
import { UploadEngine } from '../../src/engine/upload-engine.js';
import { FakePeer } from '../support/fake-peer-handle.js';
import { seededRng } from '../support/fuzz.js';
import { SteppingClock } from '../support/stepping-clock.js';

/**
 * The Uploader on a simulated clock, with a real UploadEngine and fake peer handles: each fake
 * records the CHOKE / UNCHOKE commands its Peer actor would receive and answers the flag queries
 * (`matches`) the way the Peer machine's regions would.
 */

/** Whatever a test started is stopped after it, even when an assertion failed half-way. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function startUploader(peers: FakePeer[], overrides: Partial<UploaderInput> = {}) {
  const clock = new SteppingClock();
  const engine = new UploadEngine({
    pieceCount: 4,
    pieceLength: 32768,
    totalLength: 4 * 32768,
    have: () => true,
    read: async (_offset, length) => Buffer.alloc(length),
    onViolation: () => {},
    onReadError: () => {},
  });
  const byKey = new Map(peers.map((p) => [p.key, p]));
  const actor = createActor(uploaderMachine, {
    clock,
    input: { engine, clock, rng: seededRng(5), peerStats: (peer) => byKey.get(peer.key)!.rates, ...overrides },
  }).start();
  cleanups.push(() => {
    actor.stop();
    for (const peer of peers) peer.complete();
  });
  for (const peer of peers) actor.send({ type: 'PEER_ADDED', peer: peer.handle });
  const unchokedKeys = () => peers.filter((p) => p.unchoked).map((p) => p.key);
  return { clock, engine, actor, unchokedKeys };
}

/** Six interested peers p1…p6; p1 sends us the most, p6 the least; we send p6 the most. */
function sixPeers(): FakePeer[] {
  return [1, 2, 3, 4, 5, 6].map((n) => {
    const peer = new FakePeer(`p${n}`, { downloadRate: (7 - n) * 100, uploadRate: n * 100 });
    peer.interested = true;
    return peer;
  });
}

test('rechoke every 10 s of simulated time: the 4 fastest uploaders to us and one optimistic peer are unchoked', async () => {
  const peers = sixPeers();
  const { clock, actor, unchokedKeys } = startUploader(peers);
  assert.ok(actor.getSnapshot().matches({ mode: 'leeching' }));
  await clock.advance(9_999);
  assert.deepEqual(peers.flatMap((p) => p.take()), [], 'no rechoke before 10 s');
  await clock.advance(1);
  const unchoked = unchokedKeys();
  assert.equal(unchoked.length, 5);
  for (const key of ['p1', 'p2', 'p3', 'p4']) assert.ok(unchoked.includes(key), `${key} has a regular slot`);
  const optimistic = actor.getSnapshot().context.optimistic;
  assert.ok(optimistic === 'p5' || optimistic === 'p6', `optimistic ${optimistic}`);
  for (const peer of peers) assert.deepEqual(peer.take(), peer.unchoked ? ['UNCHOKE'] : [], peer.key);
  assert.equal(actor.getSnapshot().context.round, 1);
  actor.stop();
});

test('the next rounds follow the rates: a peer that got faster takes a slot, the slowest regular one is choked', async () => {
  const peers = sixPeers();
  const { clock, actor, unchokedKeys } = startUploader(peers);
  await clock.advance(10_000);
  for (const p of peers) p.take();
  const before = new Set(unchokedKeys());
  peers[5]!.rates.downloadRate = 10_000; // p6 is now the fastest

  await clock.advance(10_000);
  const after = new Set(unchokedKeys());
  for (const key of ['p1', 'p2', 'p3', 'p6']) assert.ok(after.has(key), `${key} has a regular slot`);
  assert.equal(after.size, 5);
  // Exactly the peers whose state changed got a command, and the right one.
  for (const peer of peers) {
    const expected = before.has(peer.key) === after.has(peer.key) ? [] : after.has(peer.key) ? ['UNCHOKE'] : ['CHOKE'];
    assert.deepEqual(peer.take(), expected, peer.key);
  }
  assert.equal(actor.getSnapshot().context.round, 2);
  await clock.advance(30_000);
  assert.equal(actor.getSnapshot().context.round, 5, 'one round per 10 s');
  actor.stop();
});

test('peers that are not interested are never unchoked', async () => {
  const peers = sixPeers();
  for (const p of peers.slice(2)) p.interested = false;
  const { clock, actor, unchokedKeys } = startUploader(peers);
  await clock.advance(60_000);
  assert.deepEqual(unchokedKeys(), ['p1', 'p2']);
  for (const p of peers.slice(2)) assert.deepEqual(p.take(), []);
  actor.stop();
});

test('an interested newcomer is unchoked at once while a slot is free, and waits for the next round when none is', async () => {
  const peers = sixPeers();
  for (const p of peers) p.interested = false;
  const { clock, actor } = startUploader(peers);
  await clock.advance(10_000);
  assert.deepEqual(peers.flatMap((p) => p.take()), [], 'nobody interested, nobody unchoked');

  // Five become interested one by one between rounds: each gets the free slot at once (4 + 1).
  for (const p of peers.slice(0, 5)) {
    p.interested = true;
    actor.send({ type: 'PEER_INTERESTED', key: p.key });
    assert.deepEqual(p.take(), ['UNCHOKE'], `${p.key} unchoked without waiting`);
  }
  const last = peers[5]!;
  last.interested = true;
  actor.send({ type: 'PEER_INTERESTED', key: last.key });
  assert.deepEqual(last.take(), [], 'no free slot: it waits for the rechoke');
  assert.equal(last.unchoked, false);
  actor.stop();
});

test('SEEDING rechokes at once and ranks by upload rate from then on', async () => {
  const peers = sixPeers();
  const { clock, actor, unchokedKeys } = startUploader(peers);
  await clock.advance(10_000);
  assert.ok(['p1', 'p2', 'p3', 'p4'].every((k) => unchokedKeys().includes(k)), 'leeching: by download rate');

  actor.send({ type: 'SEEDING' });
  assert.ok(actor.getSnapshot().matches({ mode: 'seeding' }));
  const seeding = unchokedKeys();
  for (const key of ['p3', 'p4', 'p5', 'p6']) assert.ok(seeding.includes(key), `seeding: ${key} takes our data fastest`);
  assert.equal(seeding.length, 5);
  assert.equal(actor.getSnapshot().context.round, 2, 'the switch was a round of its own');

  // Still by upload rate on the timer.
  peers[0]!.rates.uploadRate = 10_000;
  await clock.advance(10_000);
  assert.ok(unchokedKeys().includes('p1'));
  assert.ok(actor.getSnapshot().matches({ mode: 'seeding' }));
  actor.stop();
});

test('RECHOKE runs a round at once; a removed peer gets no more commands; closed connections lose their slot', async () => {
  const peers = sixPeers();
  const { clock, actor, engine, unchokedKeys } = startUploader(peers);
  actor.send({ type: 'RECHOKE' });
  assert.equal(unchokedKeys().length, 5);
  for (const p of peers) p.take();

  const gone = peers[0]!;
  actor.send({ type: 'PEER_REMOVED', key: gone.key });
  assert.equal(engine.handles().some((p) => p.key === gone.key), false);
  gone.rates.downloadRate = 1e9;
  peers[1]!.wire.closed = true;
  await clock.advance(10_000);
  assert.deepEqual(gone.take(), [], 'forgotten');
  assert.equal(engine.queuedRequests(gone.key), 0);
  assert.equal(peers[1]!.unchoked, false, 'a closed connection is choked');
  assert.ok(['p3', 'p4', 'p5', 'p6'].every((k) => unchokedKeys().includes(k)));
  actor.stop();
});

test('a custom number of slots and rechoke interval', async () => {
  const peers = sixPeers();
  const { clock, actor, unchokedKeys } = startUploader(peers, { slots: 2, rechokeIntervalMs: 3_000 });
  await clock.advance(2_999);
  assert.deepEqual(unchokedKeys(), []);
  await clock.advance(1);
  assert.equal(unchokedKeys().length, 3, '2 regular + 1 optimistic');
  assert.ok(unchokedKeys().includes('p1') && unchokedKeys().includes('p2'));
  actor.stop();
});

test('PAUSE chokes every peer (queued requests rejected with BEP 6) and skips rounds; RESUME rechokes at once', async () => {
  const peers = sixPeers();
  const { clock, actor, unchokedKeys } = startUploader(peers);
  await clock.advance(10_000);
  assert.equal(unchokedKeys().length, 5);
  const served = peers.find((p) => p.unchoked)!;
  // A request the disk has not answered yet is queued behind one in flight… then we pause.
  served.wire.congested = true;
  served.wire.messages$.next({ type: 'request', index: 0, begin: 0, length: 16384 });
  for (const p of peers) p.take();

  actor.send({ type: 'PAUSE' });
  assert.ok(actor.getSnapshot().matches({ activity: 'paused' }));
  assert.deepEqual(unchokedKeys(), [], 'everyone choked');
  assert.ok(served.sent.some((m) => m.type === 'reject' && m.index === 0 && m.begin === 0), 'the queued request is rejected');
  actor.send({ type: 'PEER_INTERESTED', key: served.key });
  await clock.advance(30_000);
  assert.deepEqual(unchokedKeys(), [], 'no round and no newcomer slot while paused');

  actor.send({ type: 'RESUME' });
  assert.equal(unchokedKeys().length, 5, 'a round at once');
  actor.stop();
});
