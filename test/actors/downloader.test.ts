import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createActor, setup } from 'xstate';
import { type DownloaderInput, type DownloaderReport, downloaderMachine, recordRoutineVerdict } from '../../src/actors/downloader.js';
import type { DownloadEngine, PieceEvidence } from '../../src/engine/download-engine.js';
import type { PeerHandle } from '../../src/engine/peer-handle.js';
import { SmartBan } from '../../src/policy/smart-ban.js';
import { SteppingClock } from '../support/stepping-clock.js';

/**
 * The Downloader as a child of a recording parent, on a simulated clock: its states, what it asks
 * of the engine, and what it reports (the counts after each verdict, failures, bans). The engine is
 * a recording fake; the block traffic is the torrent test's business.
 */

/** Records what the machine asks of the engine; keeps the verified pieces, evidence and contributors a test sets. */
class RecordingEngine {
  readonly calls: string[] = [];
  readonly have = new Set<number>();
  readonly evidence = new Map<number, PieceEvidence>();
  readonly contributors = new Map<number, PeerHandle[]>();
  constructor(readonly total: number) {}
  addPeer(peer: PeerHandle) {
    this.calls.push(`addPeer ${peer.key}`);
  }
  removePeer(key: string) {
    this.calls.push(`removePeer ${key}`);
  }
  start(found: Uint8Array) {
    this.calls.push('start');
    for (let i = 0; i < this.total; i++) if (found[i >> 3]! & (0x80 >> (i & 7))) this.have.add(i);
  }
  progress() {
    return { have: this.have.size, total: this.total };
  }
  isComplete() {
    return this.have.size === this.total;
  }
  completesDownload(index: number) {
    return !this.have.has(index) && this.have.size === this.total - 1;
  }
  pieceEvidence(index: number) {
    return this.evidence.get(index);
  }
  contributorsOf(index: number) {
    return this.contributors.get(index) ?? [];
  }
  pieceVerified(index: number) {
    this.calls.push(`pieceVerified ${index}`);
    this.have.add(index);
    this.evidence.delete(index);
  }
  pieceFailed(index: number) {
    this.calls.push(`pieceFailed ${index}`);
    this.evidence.delete(index);
    this.contributors.delete(index);
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

const handle = (key: string) => ({ key, peerId: `id-${key}`, address: `${key}:1` }) as PeerHandle;
const sender = (key: string) => ({ peer: `id-${key}`, address: `${key}:1`, key });
const bits = (...pieces: number[]) => {
  const b = new Uint8Array(1);
  for (const i of pieces) b[0]! |= 0x80 >> i;
  return b;
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function startDownloader(pieces = 4, overrides: Partial<DownloaderInput> = {}) {
  const clock = new SteppingClock();
  const engine = new RecordingEngine(pieces);
  const reports: DownloaderReport[] = [];
  const parent = setup({ actors: { downloader: downloaderMachine } }).createMachine({
    invoke: { id: 'downloader', src: 'downloader', input: { engine: engine as unknown as DownloadEngine, ...overrides } },
    on: { '*': { actions: ({ event }) => event.type.startsWith('DOWNLOAD.') && reports.push(event as DownloaderReport) } },
  });
  const actor = createActor(parent, { clock }).start();
  cleanups.push(() => actor.stop());
  const downloader = actor.getSnapshot().children.downloader!;
  const send = (event: Parameters<typeof downloader.send>[0]) => downloader.send(event);
  const state = () => downloader.getSnapshot();
  return { clock, engine, reports, send, state };
}

test('waitingForCheck: peers go to the engine, nothing starts before CHECKED', () => {
  const { engine, reports, send, state } = startDownloader();
  assert.ok(state().matches({ stage: 'waitingForCheck', activity: 'running' }));
  send({ type: 'PEER_ADDED', peer: handle('a') });
  assert.deepEqual(engine.calls, ['addPeer a']);
  assert.deepEqual(reports, []);
});

test('CHECKED starts the engine with what was found and reports the counts; all found → complete', () => {
  const partial = startDownloader();
  partial.send({ type: 'CHECKED', have: bits(1) });
  assert.ok(partial.state().matches({ stage: 'fetching' }));
  assert.deepEqual(partial.engine.calls, ['start']);
  assert.deepEqual(partial.reports, [{ type: 'DOWNLOAD.CHECKED', have: 1, total: 4 }]);

  const full = startDownloader();
  full.send({ type: 'CHECKED', have: bits(0, 1, 2, 3) });
  assert.ok(full.state().matches({ stage: 'complete' }));
  assert.deepEqual(full.reports, [{ type: 'DOWNLOAD.CHECKED', have: 4, total: 4 }]);
  // Complete is not final: peers still join the engine (it closes a sender of blocks nobody asked for).
  full.send({ type: 'PEER_ADDED', peer: handle('late') });
  assert.ok(full.engine.calls.includes('addPeer late'));
});

test('each verdict is recorded, then reported with the counts that follow it; the last one completes', () => {
  const { engine, reports, send, state } = startDownloader(2);
  send({ type: 'CHECKED', have: bits() });
  send({ type: 'PIECE_VERIFIED', index: 0 });
  assert.deepEqual(reports.at(-1), { type: 'DOWNLOAD.VERIFIED', index: 0, have: 1, total: 2 });
  assert.ok(state().matches({ stage: 'fetching' }));
  send({ type: 'PIECE_FAILED', index: 1 });
  assert.deepEqual(reports.at(-1), { type: 'DOWNLOAD.FAILED', index: 1, peers: [] });
  send({ type: 'PIECE_VERIFIED', index: 1 });
  assert.deepEqual(reports.at(-1), { type: 'DOWNLOAD.VERIFIED', index: 1, have: 2, total: 2 });
  assert.ok(state().matches({ stage: 'complete' }));
  assert.deepEqual(engine.calls, ['start', 'pieceVerified 0', 'pieceFailed 1', 'pieceVerified 1']);
});

test('PAUSE / RESUME reach the engine in any stage; a verdict that lands while paused still counts', () => {
  const { engine, reports, send, state } = startDownloader(1);
  send({ type: 'PAUSE' });
  assert.ok(state().matches({ stage: 'waitingForCheck', activity: 'paused' }));
  send({ type: 'CHECKED', have: bits() });
  assert.ok(state().matches({ stage: 'fetching', activity: 'paused' }));
  send({ type: 'PIECE_VERIFIED', index: 0 });
  assert.deepEqual(reports.at(-1), { type: 'DOWNLOAD.VERIFIED', index: 0, have: 1, total: 1 });
  assert.ok(state().matches({ stage: 'complete', activity: 'paused' }));
  send({ type: 'RESUME' });
  assert.ok(state().matches({ stage: 'complete', activity: 'running' }));
  assert.deepEqual(engine.calls, ['pause', 'start', 'pieceVerified 0', 'resume']);
});

test('a failed piece with a single sender strikes it; the third strike bans, later failures add nothing', () => {
  const { engine, reports, send } = startDownloader(8);
  send({ type: 'CHECKED', have: bits() });
  for (let index = 0; index < 5; index++) {
    engine.evidence.set(index, { blocks: [Buffer.from('x'), Buffer.from('y')], senders: [sender('bad'), sender('bad')] });
    engine.contributors.set(index, [handle('bad')]);
    send({ type: 'PIECE_FAILED', index });
  }
  const bans = reports.filter((r) => r.type === 'DOWNLOAD.BANNED');
  assert.deepEqual(bans, [{ type: 'DOWNLOAD.BANNED', peerId: 'id-bad', address: 'bad:1', reason: 'banned: sent 3 pieces that failed their hash' }]);
  assert.deepEqual(
    reports.filter((r) => r.type === 'DOWNLOAD.FAILED').map((r) => r.type === 'DOWNLOAD.FAILED' && r.peers),
    [['bad'], ['bad'], ['bad'], ['bad'], ['bad']],
  );
});

test('a failed piece names its senders even when they have left (banned for an earlier piece)', () => {
  const { engine, reports, send } = startDownloader(2);
  send({ type: 'CHECKED', have: bits() });
  engine.evidence.set(0, { blocks: [Buffer.from('x'), Buffer.from('y')], senders: [sender('gone'), sender('here')] });
  engine.contributors.set(0, [handle('here')]);
  send({ type: 'PIECE_FAILED', index: 0 });
  const failed = reports.find((r) => r.type === 'DOWNLOAD.FAILED');
  assert.deepEqual(failed?.type === 'DOWNLOAD.FAILED' && [...failed.peers].sort(), ['gone', 'here']);
});

test('a piece shared by two senders strikes no one; once it verifies, the one whose block differs is banned (smart ban)', () => {
  const { engine, reports, send } = startDownloader(2);
  send({ type: 'CHECKED', have: bits() });
  engine.evidence.set(0, { blocks: [Buffer.from('good'), Buffer.from('evil')], senders: [sender('honest'), sender('liar')] });
  engine.contributors.set(0, [handle('honest'), handle('liar')]);
  send({ type: 'PIECE_FAILED', index: 0 });
  assert.equal(reports.filter((r) => r.type === 'DOWNLOAD.BANNED').length, 0, 'no proof yet');
  engine.evidence.set(0, { blocks: [Buffer.from('good'), Buffer.from('fine')], senders: [sender('honest'), sender('honest')] });
  send({ type: 'PIECE_VERIFIED', index: 0 });
  assert.deepEqual(
    reports.filter((r) => r.type === 'DOWNLOAD.BANNED'),
    [{ type: 'DOWNLOAD.BANNED', peerId: 'id-liar', address: 'liar:1', reason: 'banned: sent a corrupt block (piece 0, block 1)' }],
  );
});

test('a routine verified piece is recorded and reported without the machine; the last one, failures and suspects are its to judge', () => {
  const smartBan = new SmartBan();
  const { engine, reports, send, state } = startDownloader(3, { smartBan });
  send({ type: 'CHECKED', have: bits() });
  const routine = (verdict: Parameters<typeof recordRoutineVerdict>[2]) => recordRoutineVerdict(engine as unknown as DownloadEngine, smartBan, verdict);

  assert.deepEqual(routine({ type: 'PIECE_VERIFIED', index: 0 }), { type: 'DOWNLOAD.VERIFIED', index: 0, have: 1, total: 3 });
  assert.deepEqual(engine.calls, ['start', 'pieceVerified 0']);
  assert.deepEqual(reports, [{ type: 'DOWNLOAD.CHECKED', have: 0, total: 3 }], 'the caller forwards the report, not the machine');

  assert.equal(routine({ type: 'PIECE_FAILED', index: 1 }), undefined);
  // Two senders: no strike, but the smart ban remembers the piece's blocks.
  engine.evidence.set(1, { blocks: [Buffer.from('good'), Buffer.from('evil')], senders: [sender('honest'), sender('liar')] });
  send({ type: 'PIECE_FAILED', index: 1 });
  engine.evidence.set(1, { blocks: [Buffer.from('good'), Buffer.from('fine')], senders: [sender('honest'), sender('honest')] });
  assert.equal(routine({ type: 'PIECE_VERIFIED', index: 1 }), undefined, 'a piece that failed before is judged');
  assert.ok(!engine.have.has(1));
  send({ type: 'PIECE_VERIFIED', index: 1 });
  assert.equal(reports.filter((r) => r.type === 'DOWNLOAD.BANNED').length, 1);

  assert.equal(routine({ type: 'PIECE_VERIFIED', index: 2 }), undefined, 'the last wanted piece completes: the machine decides');
  assert.ok(state().matches({ stage: 'fetching' }));
  send({ type: 'PIECE_VERIFIED', index: 2 });
  assert.ok(state().matches({ stage: 'complete' }));
  assert.deepEqual(reports.at(-1), { type: 'DOWNLOAD.VERIFIED', index: 2, have: 3, total: 3 });
});

test('request timeouts are checked every 5 s of simulated time once fetching', async () => {
  const { clock, engine, send } = startDownloader();
  const timeoutChecks = () => engine.calls.filter((c) => c === 'checkTimeouts').length;
  await clock.advance(20_000);
  assert.equal(timeoutChecks(), 0, 'not while waiting for the check');
  send({ type: 'CHECKED', have: bits() });
  await clock.advance(4_999);
  assert.equal(timeoutChecks(), 0);
  await clock.advance(1);
  assert.equal(timeoutChecks(), 1, 'at 5 s');
  await clock.advance(10_000);
  assert.equal(timeoutChecks(), 3, 'and every 5 s after');
});

test('a custom timeoutCheckMs', async () => {
  const { clock, engine, send } = startDownloader(4, { timeoutCheckMs: 1000 });
  send({ type: 'CHECKED', have: bits() });
  await clock.advance(10_000);
  assert.equal(engine.calls.filter((c) => c === 'checkTimeouts').length, 10);
});
