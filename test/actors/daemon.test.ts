import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';
import { type DaemonWork, daemonMachine } from '../../src/actors/daemon.js';
import { type DaemonTorrentWork, daemonTorrentMachine } from '../../src/actors/daemon-torrent.js';
import { daemonTorrentPhase } from '../../src/actors/daemon-torrent-queries.js';
import type { QueueLimits } from '../../src/policy/daemon-queue.js';
import { SteppingClock } from '../support/stepping-clock.js';

const idleWork: DaemonTorrentWork = {
  hasMetadata: () => true,
  fetchMetadata: async () => undefined,
  prepareRun: async () => ({}),
  launch: () => undefined,
  halt: async () => undefined,
  persistStopped: () => undefined,
  seedLimitReached: () => undefined,
  seedLimited: () => false,
};

/** A Daemon machine with `count` torrents (complete when listed in `complete`) on a stepping clock. */
async function startDaemon(count: number, limits: QueueLimits, complete: number[] = []) {
  const clock = new SteppingClock();
  const saves: number[] = [];
  const work: DaemonWork = {
    start: async () => undefined,
    save: async () => void saves.push(clock.now()),
    close: async () => undefined,
    queueLimits: () => limits,
    queueInfo: (id) => ({ queuePosition: id, complete: complete.includes(id) }),
  };
  const daemon = createActor(daemonMachine, { clock, input: { work, saveDelayMs: 200 } });
  daemon.start();
  const torrents = Array.from({ length: count }, (_, id) => {
    const torrent = createActor(daemonTorrentMachine, { clock, input: { id, work: idleWork, stopped: false, daemon } });
    torrent.start();
    daemon.send({ type: 'REGISTER_TORRENT', id, ref: torrent });
    return torrent;
  });
  await clock.advance(0);
  const phases = () => torrents.map((t) => daemonTorrentPhase(t.getSnapshot()));
  return { clock, daemon, torrents, saves, phases };
}

test('the queue: at most N downloading in queue order; a stopped one frees its slot for the next', async () => {
  const d = await startDaemon(3, { downloads: 2 });
  assert.ok(d.daemon.getSnapshot().matches('running'));
  assert.deepEqual(d.phases(), ['checking', 'checking', 'queued']);
  d.torrents[0]!.send({ type: 'STOP' });
  await d.clock.advance(0);
  assert.deepEqual(d.phases(), ['stopped', 'checking', 'checking'], 'the third got the freed slot');
  d.torrents[0]!.send({ type: 'START' });
  await d.clock.advance(0);
  assert.deepEqual(d.phases(), ['checking', 'checking', 'queued'], 'its queue position comes first: the last one gives its slot back');
});

test('a complete torrent takes a seed slot, not a download slot; start_now runs past the queue and takes a slot all the same', async () => {
  const d = await startDaemon(3, { downloads: 1, seeds: 2 }, [1]);
  assert.deepEqual(d.phases(), ['checking', 'checking', 'queued'], 'the complete one seeds beside the download');
  d.torrents[2]!.send({ type: 'START', now: true });
  await d.clock.advance(0);
  assert.deepEqual(d.phases(), ['queued', 'checking', 'checking'], 'the forced one took the only download slot');
});

test('changes are saved once per burst, SAVE_DELAY after the first; a change while writing is written again after', async () => {
  const d = await startDaemon(0, {});
  d.daemon.send({ type: 'DIRTY' });
  await d.clock.advance(100);
  d.daemon.send({ type: 'DIRTY' });
  await d.clock.advance(99);
  assert.deepEqual(d.saves, []);
  await d.clock.advance(1);
  assert.deepEqual(d.saves, [200], 'one write for the burst');
  d.daemon.send({ type: 'DIRTY' });
  await d.clock.advance(1000);
  assert.deepEqual(d.saves, [200, 400]);
});

test('close stops every torrent, then the daemon is done', async () => {
  const d = await startDaemon(2, {});
  d.daemon.send({ type: 'CLOSE' });
  await d.clock.advance(0);
  assert.equal(d.daemon.getSnapshot().status, 'done');
  assert.deepEqual(d.torrents.map((t) => t.getSnapshot().status), ['done', 'done']);
});
