import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_LSD_INTAKE,
  type LsdIntake,
  type LsdSchedule,
  admitDatagram,
  emptyIntake,
  emptySchedule,
  lsdPeer,
  nextDueAt,
  scheduleTorrent,
  scheduledTorrents,
  takeDue,
  unscheduleTorrent,
} from '../../src/policy/lsd.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Runs the schedule from `from` to `to`, taking due torrents at every due time; returns when each was announced. */
function run(schedule: LsdSchedule, from: number, to: number): { schedule: LsdSchedule; announced: Map<string, number[]> } {
  const announced = new Map<string, number[]>();
  let now = from;
  for (let steps = 0; steps < 10_000; steps++) {
    const taken = takeDue(schedule, now);
    schedule = taken.schedule;
    for (const infoHash of taken.due) announced.set(infoHash, [...(announced.get(infoHash) ?? []), now]);
    const next = nextDueAt(schedule);
    if (next === undefined || next > to) break;
    assert.ok(next > now, 'nothing is due twice at one instant');
    now = next;
  }
  return { schedule, announced };
}

test('a torrent is announced when added, then every 5 minutes', () => {
  const schedule = scheduleTorrent(emptySchedule(), 'a', 1000);
  assert.equal(nextDueAt(schedule), 1000);
  const { announced } = run(schedule, 1000, 1000 + 16 * MINUTE);
  assert.deepEqual(announced.get('a'), [0, 5, 10, 15].map((m) => 1000 + m * MINUTE));
});

test('torrents added at different times keep their own rhythm; nothing is due early', () => {
  let schedule = scheduleTorrent(emptySchedule(), 'a', 0);
  schedule = takeDue(schedule, 0).schedule;
  schedule = scheduleTorrent(schedule, 'b', 2 * MINUTE);
  assert.deepEqual(takeDue(schedule, 2 * MINUTE).due, ['b']);
  assert.deepEqual(takeDue(schedule, 2 * MINUTE - 1).due, []);
  const { announced } = run(schedule, 2 * MINUTE, 11 * MINUTE);
  assert.deepEqual(announced.get('a'), [5 * MINUTE, 10 * MINUTE]);
  assert.deepEqual(announced.get('b'), [2 * MINUTE, 7 * MINUTE]);
});

test('adding a torrent again while scheduled changes nothing', () => {
  const schedule = takeDue(scheduleTorrent(emptySchedule(), 'a', 0), 0).schedule;
  assert.equal(scheduleTorrent(schedule, 'a', 30 * SECOND), schedule);
});

test('removed and added again within a minute: announced only once that minute has passed', () => {
  let schedule = takeDue(scheduleTorrent(emptySchedule(), 'a', 0), 0).schedule;
  schedule = unscheduleTorrent(schedule, 'a');
  assert.deepEqual(scheduledTorrents(schedule), []);
  assert.equal(nextDueAt(schedule), undefined, 'a removed torrent is never due');
  assert.deepEqual(takeDue(schedule, 10 * MINUTE).due, []);
  schedule = scheduleTorrent(schedule, 'a', 20 * SECOND);
  assert.equal(nextDueAt(schedule), MINUTE);
  // Removed again and re-added after the minute: due at once.
  schedule = unscheduleTorrent(takeDue(schedule, MINUTE).schedule, 'a');
  assert.equal(nextDueAt(scheduleTorrent(schedule, 'a', 3 * MINUTE)), 3 * MINUTE);
});

test('a removed torrent is forgotten once its minute has passed (bounded state)', () => {
  let schedule: LsdSchedule = emptySchedule();
  for (let i = 0; i < 100; i++) schedule = scheduleTorrent(schedule, `t${i}`, 0);
  schedule = takeDue(schedule, 0).schedule;
  for (let i = 0; i < 100; i++) schedule = unscheduleTorrent(schedule, `t${i}`);
  assert.equal(schedule.size, 100, 'remembered for the minute');
  assert.equal(takeDue(schedule, 30 * SECOND).schedule.size, 100);
  assert.equal(takeDue(schedule, MINUTE).schedule.size, 0);
  // Never announced: nothing to remember.
  assert.equal(unscheduleTorrent(scheduleTorrent(emptySchedule(), 'x', 0), 'x').size, 0);
});

test('the functions leave their argument untouched', () => {
  const schedule = scheduleTorrent(emptySchedule(), 'a', 0);
  const before = JSON.stringify([...schedule]);
  takeDue(schedule, 0);
  unscheduleTorrent(schedule, 'a');
  scheduleTorrent(schedule, 'b', 0);
  assert.equal(JSON.stringify([...schedule]), before);
});

test('per source: a burst, then the refill rate; other sources are not affected', () => {
  const options = { ...DEFAULT_LSD_INTAKE, perSourceBurst: 3, perSourcePerSecond: 1, totalBurst: 100, totalPerSecond: 100 };
  let intake = emptyIntake(0, options);
  const verdicts = (source: string, n: number, now: number) =>
    Array.from({ length: n }, () => {
      const r = admitDatagram(intake, source, now, options);
      intake = r.intake;
      return r.verdict;
    });
  assert.deepEqual(verdicts('10.0.0.1', 5, 0), ['accepted', 'accepted', 'accepted', 'over-source-limit', 'over-source-limit']);
  assert.deepEqual(verdicts('10.0.0.2', 1, 0), ['accepted']);
  assert.deepEqual(verdicts('10.0.0.1', 2, 999), ['over-source-limit', 'over-source-limit']);
  assert.deepEqual(verdicts('10.0.0.1', 2, 1000), ['accepted', 'over-source-limit']);
  assert.deepEqual(verdicts('10.0.0.1', 4, 10_000), ['accepted', 'accepted', 'accepted', 'over-source-limit'], 'refills up to the burst, no more');
});

test('the total limit holds against many sources (a spoofed flood)', () => {
  const options = { ...DEFAULT_LSD_INTAKE, totalBurst: 10, totalPerSecond: 5 };
  let intake = emptyIntake(0, options);
  let accepted = 0;
  // 100 000 datagrams from 100 000 addresses over 10 s: at most burst + 10 s × 5/s get through.
  for (let i = 0; i < 100_000; i++) {
    const now = Math.floor(i / 10);
    const r = admitDatagram(intake, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, now, options);
    intake = r.intake;
    if (r.verdict === 'accepted') accepted++;
  }
  assert.ok(accepted <= 10 + 50 + 1, `accepted ${accepted}`);
  assert.ok(accepted >= 50, `honest rate still flows: ${accepted}`);
  assert.ok(intake.sources.size <= options.maxSources);
});

test('at most maxSources addresses are remembered; the least recently heard goes first', () => {
  const options = { ...DEFAULT_LSD_INTAKE, maxSources: 3, totalBurst: 1000 };
  let intake: LsdIntake = emptyIntake(0, options);
  for (const source of ['a', 'b', 'c', 'a', 'd']) intake = admitDatagram(intake, source, 0, options).intake;
  assert.deepEqual([...intake.sources.keys()], ['c', 'a', 'd']);
});

test('a refused datagram changes nothing (no allocation under a flood)', () => {
  const options = { ...DEFAULT_LSD_INTAKE, perSourceBurst: 1, perSourcePerSecond: 0.1, totalBurst: 1, totalPerSecond: 1 };
  let intake = admitDatagram(emptyIntake(0, options), 'a', 0, options).intake;
  const refusedByTotal = admitDatagram(intake, 'b', 0, options);
  assert.equal(refusedByTotal.verdict, 'over-total-limit');
  assert.equal(refusedByTotal.intake, intake);
  intake = admitDatagram(intake, 'b', 1000, options).intake;
  const refusedBySource = admitDatagram(intake, 'b', 2000, { ...options, totalBurst: 5 });
  assert.equal(refusedBySource.verdict, 'over-source-limit');
  assert.equal(refusedBySource.intake, intake);
});

test('lsdPeer: the sender with the announced port; link-local IPv6 cannot be dialled', () => {
  assert.deepEqual(lsdPeer('10.214.0.2', 6881), { host: '10.214.0.2', port: 6881 });
  assert.deepEqual(lsdPeer('2001:db8::7', 51413), { host: '2001:db8::7', port: 51413 });
  assert.equal(lsdPeer('fe80::1', 6881), undefined);
  assert.equal(lsdPeer('FEBF::1', 6881), undefined);
  assert.deepEqual(lsdPeer('fe8::1', 6881), { host: 'fe8::1', port: 6881 }, 'not link-local: fe8 is 0fe8');
  assert.equal(lsdPeer('0.0.0.0', 6881), undefined);
});
