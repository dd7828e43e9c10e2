import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type SnapshotFrom, createActor, initialTransition, transition } from 'xstate';
import { type DownloaderEvent, downloaderMachine } from '../../src/actors/downloader.js';
import type { DownloadEngine } from '../../src/engine/download-engine.js';
import type { PeerHandle } from '../../src/engine/peer-handle.js';
import { PiecePicker } from '../../src/policy/piece-picker.js';
import { SteppingClock } from '../support/stepping-clock.js';

/**
 * The Downloader's own states, stepped with XState's pure `transition()` (the actions it would run
 * are returned, not run), and as an actor on a simulated clock for its request-timeout timer. The
 * DownloadEngine is a recording fake: the block traffic is the torrent test's business.
 */

const PIECE = 32768;

function picker(pieces = 4): PiecePicker {
  return new PiecePicker({ pieceCount: pieces, pieceLength: PIECE, totalLength: pieces * PIECE });
}

/** Records what the machine asks of the engine; verdicts go to the picker as the real engine's do. */
class RecordingEngine {
  readonly calls: string[] = [];
  constructor(private readonly picker: PiecePicker) {}
  addPeer(peer: PeerHandle) {
    this.calls.push(`addPeer ${peer.key}`);
  }
  removePeer(key: string) {
    this.calls.push(`removePeer ${key}`);
  }
  pieceVerified(index: number) {
    this.calls.push(`pieceVerified ${index}`);
    this.picker.pieceVerified(index);
  }
  pieceFailed(index: number) {
    this.calls.push(`pieceFailed ${index}`);
    this.picker.pieceFailed(index);
  }
  checkTimeouts() {
    this.calls.push('checkTimeouts');
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
  }
}

const handle = (key: string) => ({ key }) as PeerHandle;
const added = (key: string): DownloaderEvent => ({ type: 'PEER_ADDED', peer: handle(key) });
const removed = (key: string): DownloaderEvent => ({ type: 'PEER_REMOVED', key });

/** Whatever a test started is stopped after it, even when an assertion failed half-way. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

type Snapshot = SnapshotFrom<typeof downloaderMachine>;

/** The pure stepper: a snapshot and the names of the actions the step would run. */
function start(p = picker()) {
  const engine = new RecordingEngine(p);
  const [snapshot, actions] = initialTransition(downloaderMachine, { engine: engine as unknown as DownloadEngine, picker: p });
  return { snapshot, actions: actions.map((a) => a.type), engine, picker: p };
}

function step(snapshot: Snapshot, event: DownloaderEvent): { snapshot: Snapshot; actions: string[] } {
  const [next, actions] = transition(downloaderMachine, snapshot, event);
  // Timers (xstate.raise with a delay) and cancels are bookkeeping; keep the machine's own actions.
  // (assign actions do not appear: their result is already in the next snapshot's context.)
  return { snapshot: next, actions: actions.map((a) => a.type).filter((t) => !t.startsWith('xstate.')) };
}

/** Walks a list of events from a snapshot, returning the last step. */
function walk(snapshot: Snapshot, events: DownloaderEvent[]) {
  let result = { snapshot, actions: [] as string[] };
  for (const event of events) result = step(result.snapshot, event);
  return result;
}

test('starts in waitingForCheck and does nothing yet', () => {
  const { snapshot, actions, engine } = start();
  assert.equal(snapshot.value, 'waitingForCheck');
  assert.deepEqual(actions, []);
  assert.deepEqual(engine.calls, [], 'transition() is pure: nothing ran');
  assert.equal(snapshot.context.peers, 0);
});

test('waitingForCheck: peers are added to the engine but nothing starts before CHECKED', () => {
  const { snapshot } = start();
  const next = step(snapshot, added('a'));
  assert.equal(next.snapshot.value, 'waitingForCheck');
  assert.deepEqual(next.actions, ['engineAddPeer']);
  assert.equal(next.snapshot.context.peers, 1);
  assert.deepEqual(step(next.snapshot, { type: 'PAUSE' }).actions, [], 'no pause before the check');
});

test('CHECKED → downloading with peers, waitingForPeers without, complete when the check found everything', () => {
  const withPeer = walk(start().snapshot, [added('a'), { type: 'CHECKED' }]);
  assert.deepEqual(withPeer.snapshot.value, { downloading: 'normal' });
  assert.deepEqual(withPeer.actions, ['resume']);

  const alone = step(start().snapshot, { type: 'CHECKED' });
  assert.equal(alone.snapshot.value, 'waitingForPeers');
  assert.deepEqual(alone.actions, ['resume']);

  const full = picker();
  for (let i = 0; i < full.pieceCount; i++) full.setHave(i);
  const done = step(start(full).snapshot, { type: 'CHECKED' });
  assert.equal(done.snapshot.value, 'complete');
  assert.equal(done.snapshot.status, 'done');
  assert.deepEqual(done.actions, [], 'nothing to resume');
});

test('waitingForPeers ⇄ downloading as the first peer comes and the last one goes', () => {
  let { snapshot } = step(start().snapshot, { type: 'CHECKED' });
  let next = step(snapshot, added('a'));
  assert.deepEqual(next.snapshot.value, { downloading: 'normal' });
  assert.deepEqual(next.actions, ['engineAddPeer']);
  next = walk(next.snapshot, [added('b'), removed('a')]);
  assert.deepEqual(next.snapshot.value, { downloading: 'normal' }, 'one peer left');
  assert.deepEqual(next.actions, ['engineRemovePeer']);
  next = step(next.snapshot, removed('b'));
  assert.equal(next.snapshot.value, 'waitingForPeers');
  assert.deepEqual(next.actions, ['engineRemovePeer']);
  assert.equal(next.snapshot.context.peers, 0);
  snapshot = step(next.snapshot, removed('ghost')).snapshot;
  assert.equal(snapshot.context.peers, 0, 'never below zero');
});

test('PAUSE and RESUME, from downloading and from waitingForPeers', () => {
  const downloading = walk(start().snapshot, [added('a'), { type: 'CHECKED' }]).snapshot;
  let next = step(downloading, { type: 'PAUSE' });
  assert.equal(next.snapshot.value, 'paused');
  assert.deepEqual(next.actions, ['pause']);
  next = step(next.snapshot, added('b'));
  assert.equal(next.snapshot.value, 'paused', 'peers join a paused download without starting it');
  assert.deepEqual(next.actions, ['engineAddPeer']);
  next = step(next.snapshot, { type: 'RESUME' });
  assert.deepEqual(next.snapshot.value, { downloading: 'normal' });
  assert.deepEqual(next.actions, ['resume']);

  const waiting = step(start().snapshot, { type: 'CHECKED' }).snapshot;
  next = step(waiting, { type: 'PAUSE' });
  assert.equal(next.snapshot.value, 'paused', 'a download with no peer can be paused too');
  assert.deepEqual(next.actions, ['pause']);
  next = step(next.snapshot, { type: 'RESUME' });
  assert.equal(next.snapshot.value, 'waitingForPeers');
  assert.deepEqual(next.actions, ['resume']);

  const pausedAlone = walk(downloading, [{ type: 'PAUSE' }, removed('a'), { type: 'RESUME' }]);
  assert.equal(pausedAlone.snapshot.value, 'waitingForPeers', 'the last peer left while paused');
});

test('PIECE_VERIFIED counts, and the last missing piece completes the download', () => {
  const p = picker(2);
  p.peerHaveAll('a');
  const requests = p.pickRequests('a', 100, { rng: () => 0.5 });
  for (const r of requests) p.blockReceived('a', r); // both pieces now verifying
  const downloading = walk(start(p).snapshot, [added('a'), { type: 'CHECKED' }]).snapshot;

  let next = step(downloading, { type: 'PIECE_VERIFIED', index: 0 });
  assert.ok(next.snapshot.matches('downloading'));
  assert.deepEqual(next.actions, ['pieceVerified']);
  assert.equal(next.snapshot.context.verified, 1);
  next.snapshot.context.picker.pieceVerified(0); // what the engine does when the action runs

  next = step(next.snapshot, { type: 'PIECE_FAILED', index: 1 });
  assert.deepEqual(next.actions, ['pieceFailed']);
  assert.equal(next.snapshot.context.failed, 1);

  next = step(next.snapshot, { type: 'PIECE_VERIFIED', index: 1 });
  assert.equal(next.snapshot.value, 'complete', 'the guard sees the last missing piece before the engine records it');
  assert.equal(next.snapshot.status, 'done');
  assert.equal(next.snapshot.context.verified, 2);
});

test('downloading.endgame once every missing block is requested', () => {
  const p = picker(2);
  p.peerHaveAll('a');
  const downloading = walk(start(p).snapshot, [added('a'), { type: 'CHECKED' }]).snapshot;
  assert.deepEqual(downloading.value, { downloading: 'normal' });
  p.pickRequests('a', 100, { rng: () => 0.5 });
  assert.equal(p.inEndgame(), true);
  // The region is re-evaluated on the machine's next event.
  const next = step(downloading, added('b'));
  assert.deepEqual(next.snapshot.value, { downloading: 'endgame' });
});

test('as an actor: request timeouts are checked every 5 s of simulated time, only while downloading', async () => {
  const clock = new SteppingClock();
  const p = picker();
  const engine = new RecordingEngine(p);
  const actor = createActor(downloaderMachine, { clock, input: { engine: engine as unknown as DownloadEngine, picker: p } }).start();
  cleanups.push(() => actor.stop());
  const timeoutChecks = () => engine.calls.filter((c) => c === 'checkTimeouts').length;

  await clock.advance(20_000);
  assert.equal(timeoutChecks(), 0, 'not while waiting for the check');
  actor.send({ type: 'CHECKED' });
  await clock.advance(20_000);
  assert.equal(timeoutChecks(), 0, 'not while waiting for peers');

  actor.send(added('a'));
  await clock.advance(4_999);
  assert.equal(timeoutChecks(), 0);
  await clock.advance(1);
  assert.equal(timeoutChecks(), 1, 'at 5 s');
  await clock.advance(10_000);
  assert.equal(timeoutChecks(), 3, 'and every 5 s after');

  actor.send({ type: 'PAUSE' });
  await clock.advance(30_000);
  assert.equal(timeoutChecks(), 3, 'not while paused');
  actor.send({ type: 'RESUME' });
  await clock.advance(5_000);
  assert.equal(timeoutChecks(), 4);
  assert.deepEqual(
    engine.calls.filter((c) => c !== 'checkTimeouts'),
    ['resume', 'addPeer a', 'pause', 'resume'],
  );
  actor.stop();
});

test('as an actor: a custom timeoutCheckMs', async () => {
  const clock = new SteppingClock();
  const p = picker();
  const engine = new RecordingEngine(p);
  const actor = createActor(downloaderMachine, {
    clock,
    input: { engine: engine as unknown as DownloadEngine, picker: p, timeoutCheckMs: 1000 },
  }).start();
  cleanups.push(() => actor.stop());
  actor.send(added('a'));
  actor.send({ type: 'CHECKED' });
  await clock.advance(10_000);
  assert.equal(engine.calls.filter((c) => c === 'checkTimeouts').length, 10);
  actor.stop();
});
