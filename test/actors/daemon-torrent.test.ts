import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';
import { type DaemonTorrentWork, daemonTorrentMachine } from '../../src/actors/daemon-torrent.js';
import { checkingWhileStopped, daemonTorrentPhase, hasRun, queueStanding, torrentError } from '../../src/actors/daemon-torrent-queries.js';
import { SteppingClock } from '../support/stepping-clock.js';

/** Fake work: records what the machine asked for; promises settle when the test says so. */
function fakeWork(options: { metadata?: boolean } = {}) {
  const calls: string[] = [];
  let metadata = options.metadata ?? true;
  let seedLimit: 'ratio' | 'idle' | undefined;
  let limited = true;
  let looks = 0;
  let finishFetch: (() => void) | undefined;
  const work: DaemonTorrentWork = {
    hasMetadata: () => metadata,
    fetchMetadata: (signal) =>
      new Promise<void>((resolve, reject) => {
        calls.push('fetch');
        finishFetch = () => {
          metadata = true;
          resolve();
        };
        signal.addEventListener('abort', () => {
          calls.push('fetch aborted');
          reject(new Error('stopped'));
        });
      }),
    prepareRun: async ({ verify }) => {
      calls.push(verify ? 'prepare verify' : 'prepare');
      return { verify };
    },
    launch: (prepared) => void calls.push(`launch ${JSON.stringify(prepared)}`),
    halt: async () => void calls.push('halt'),
    persistStopped: (stopped) => void calls.push(stopped ? 'saved stopped' : 'saved started'),
    seedLimitReached: () => {
      looks++;
      return seedLimit;
    },
    seedLimited: () => limited,
  };
  return {
    work,
    calls,
    finishFetch: () => finishFetch?.(),
    setSeedLimit: (v: typeof seedLimit) => (seedLimit = v),
    setLimited: (v: boolean) => (limited = v),
    looks: () => looks,
  };
}

function start(options: { stopped?: boolean; metadata?: boolean } = {}) {
  const clock = new SteppingClock();
  const fake = fakeWork(options);
  const actor = createActor(daemonTorrentMachine, { clock, input: { id: 1, work: fake.work, stopped: options.stopped ?? false, seedLimitCheckMs: 1000 } });
  actor.start();
  const phase = () => daemonTorrentPhase(actor.getSnapshot());
  return { actor, clock, ...fake, phase, settle: () => clock.advance(0) };
}

test('a torrent saved as stopped stays stopped; started, it waits for a slot, then checks, downloads and seeds', async () => {
  const t = start({ stopped: true });
  assert.equal(t.phase(), 'stopped');
  assert.equal(queueStanding(t.actor.getSnapshot()).candidate, false);
  t.actor.send({ type: 'ADMIT' });
  assert.equal(t.phase(), 'stopped', 'a slot means nothing to a stopped torrent');

  t.actor.send({ type: 'START' });
  assert.equal(t.phase(), 'queued');
  assert.deepEqual(queueStanding(t.actor.getSnapshot()), { candidate: true, holdsSlot: false, waiting: true, forced: false });
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  assert.equal(t.phase(), 'checking');
  assert.deepEqual(t.calls, ['saved started', 'prepare', 'launch {"verify":false}']);
  t.actor.send({ type: 'CHECKED', complete: false });
  assert.equal(t.phase(), 'downloading');
  t.actor.send({ type: 'COMPLETE' });
  assert.equal(t.phase(), 'seeding');
  assert.equal(queueStanding(t.actor.getSnapshot()).holdsSlot, true);
});

test('stop halts the run and is saved; a queued torrent told QUEUE gives its slot back and waits again', async () => {
  const t = start();
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'CHECKED', complete: true });
  t.actor.send({ type: 'QUEUE' });
  assert.equal(t.phase(), 'stopping');
  assert.ok(hasRun(t.actor.getSnapshot()), 'the run exists until halted');
  await t.settle();
  assert.equal(t.phase(), 'queued', 'still wanted: back in the queue');
  assert.equal(hasRun(t.actor.getSnapshot()), false);

  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'STOP' });
  await t.settle();
  assert.equal(t.phase(), 'stopped');
  assert.deepEqual(t.calls.filter((c) => c.startsWith('halt') || c.startsWith('saved')), ['halt', 'saved stopped', 'halt']);
});

test('the seed limit is looked at every second while seeding, on the clock; reached, the torrent stops itself', async () => {
  const t = start();
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'CHECKED', complete: true });
  await t.clock.advance(5000);
  assert.equal(t.phase(), 'seeding', 'no limit reached: seeds on');
  t.setSeedLimit('idle');
  await t.clock.advance(999);
  assert.equal(t.phase(), 'seeding', 'not before the next look');
  await t.clock.advance(1);
  await t.settle();
  assert.equal(t.phase(), 'stopped');
  assert.ok(t.calls.includes('saved stopped'), 'stopped by its limit as if by the user');
  assert.equal(queueStanding(t.actor.getSnapshot()).candidate, false);
});

test('seed limits: with none set, a seeding torrent has no timer; once one is set (LIMITS_CHANGED), it is looked at', async () => {
  const t = start();
  t.setLimited(false);
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'CHECKED', complete: true });
  assert.equal(t.phase(), 'seeding');
  t.setSeedLimit('ratio');
  await t.clock.advance(10_000);
  assert.equal(t.looks(), 0, 'nothing looked at');
  assert.equal(t.clock.pending, 0, 'no timer');
  assert.equal(t.phase(), 'seeding');
  t.setLimited(true);
  t.actor.send({ type: 'LIMITS_CHANGED' });
  await t.clock.advance(1000);
  await t.settle();
  assert.equal(t.looks(), 1);
  assert.equal(t.phase(), 'stopped', 'stopped by the limit set later');
});

test('verify: a running torrent restarts hashing everything; a stopped one is checked and stops again', async () => {
  const t = start();
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'CHECKED', complete: true });
  t.actor.send({ type: 'VERIFY' });
  await t.settle();
  assert.equal(t.phase(), 'checking');
  assert.equal(t.calls.at(-1), 'launch {"verify":true}');
  t.actor.send({ type: 'CHECKED', complete: false });
  assert.equal(t.phase(), 'downloading', 'the check found damage');

  t.actor.send({ type: 'STOP' });
  await t.settle();
  t.actor.send({ type: 'VERIFY' });
  await t.settle();
  assert.ok(checkingWhileStopped(t.actor.getSnapshot()));
  assert.equal(queueStanding(t.actor.getSnapshot()).candidate, false, 'a check while stopped takes no slot');
  t.actor.send({ type: 'CHECKED', complete: true });
  await t.settle();
  assert.equal(t.phase(), 'stopped');
  assert.equal(checkingWhileStopped(t.actor.getSnapshot()), false);
});

test('a magnet fetches its metadata first; stopped meanwhile, the fetch is aborted', async () => {
  const t = start({ metadata: false });
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  assert.equal(t.phase(), 'metadata');
  t.actor.send({ type: 'STOP' });
  await t.settle();
  assert.equal(t.phase(), 'stopped');
  assert.deepEqual(t.calls.filter((c) => c.startsWith('fetch')), ['fetch', 'fetch aborted']);

  t.actor.send({ type: 'START', now: true });
  assert.equal(queueStanding(t.actor.getSnapshot()).forced, true, 'start_now forces it past the queue');
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.finishFetch();
  await t.settle();
  assert.equal(t.phase(), 'checking', 'the metadata came: the data is checked');
});

test('changes run one after the other with the torrent halted, and a running torrent runs again after; a failing change leaves it as it was', async () => {
  const t = start();
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'CHECKED', complete: true });
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  t.actor.send({ type: 'CHANGE', apply: async () => { order.push(`first, run halted: ${t.calls.at(-1) === 'halt'}`); await gate; } });
  t.actor.send({ type: 'CHANGE', apply: async () => { order.push('second'); throw new Error('target exists'); } });
  await t.settle();
  assert.deepEqual(order, ['first, run halted: true'], 'the second waits for the first');
  release();
  await t.settle();
  assert.deepEqual(order, ['first, run halted: true', 'second']);
  assert.equal(t.phase(), 'checking', 'it ran before: it runs again');
  assert.equal(torrentError(t.actor.getSnapshot()), '', 'a change that failed is its caller\'s error, not the torrent\'s');

  t.actor.send({ type: 'STOP' });
  await t.settle();
  t.actor.send({ type: 'CHANGE', apply: async () => undefined });
  await t.settle();
  assert.equal(t.phase(), 'stopped', 'it did not run: it stays stopped');
});

test('a run that fails leaves the torrent failed, out of the queue, until started again', async () => {
  const t = start();
  t.actor.send({ type: 'ADMIT' });
  await t.settle();
  t.actor.send({ type: 'RUN_FAILED', message: 'disk full' });
  await t.settle();
  assert.equal(t.phase(), 'failed');
  assert.equal(torrentError(t.actor.getSnapshot()), 'disk full');
  assert.equal(queueStanding(t.actor.getSnapshot()).candidate, false);
  t.actor.send({ type: 'START' });
  assert.equal(t.phase(), 'queued');
  assert.equal(torrentError(t.actor.getSnapshot()), '');

  t.actor.send({ type: 'CLOSE' });
  await t.settle();
  assert.equal(t.actor.getSnapshot().status, 'done');
});
