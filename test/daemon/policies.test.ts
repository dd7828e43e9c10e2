import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admittedToRun, moveInQueue } from '../../src/policy/daemon-queue.js';
import { seedLimitReached, uploadRatio } from '../../src/policy/seed-limits.js';
import { AdjustableLimiter } from '../../src/engine/adjustable-limiter.js';
import { legacyName, snakeName, snakeKeys } from '../../src/daemon/rpc/names.js';
import { hostAllowed, authorized } from '../../src/daemon/http-access.js';
import { SteppingClock } from '../support/stepping-clock.js';

const candidate = (id: number, complete: boolean, forced = false, queuePosition = id) => ({ id, queuePosition, complete, forced });

test('queue: at most N downloading and M seeding, in queue order; start_now bypasses the queue but takes a slot', () => {
  const all = [candidate(1, false), candidate(2, false), candidate(3, true), candidate(4, false), candidate(5, true), candidate(6, true)];
  assert.deepEqual([...admittedToRun(all, { downloads: 2, seeds: 1 })].sort(), [1, 2, 3]);
  assert.deepEqual([...admittedToRun(all, {})].sort(), [1, 2, 3, 4, 5, 6]);
  const forced = [candidate(1, false), candidate(2, false), candidate(4, false, true)];
  assert.deepEqual([...admittedToRun(forced, { downloads: 2 })].sort(), [1, 4]);
  // Queue position, not id, decides.
  assert.deepEqual([...admittedToRun([candidate(1, false, false, 5), candidate(2, false, false, 0)], { downloads: 1 })], [2]);
});

test('queue moves: top, up, down, bottom keep the others in order', () => {
  const order = [1, 2, 3, 4, 5];
  assert.deepEqual(moveInQueue(order, new Set([4]), 'top'), [4, 1, 2, 3, 5]);
  assert.deepEqual(moveInQueue(order, new Set([4]), 'up'), [1, 2, 4, 3, 5]);
  assert.deepEqual(moveInQueue(order, new Set([2]), 'down'), [1, 3, 2, 4, 5]);
  assert.deepEqual(moveInQueue(order, new Set([1, 3]), 'bottom'), [2, 4, 5, 1, 3]);
  assert.deepEqual(moveInQueue(order, new Set([1]), 'up'), order, 'the first cannot go up');
});

test('seed limits: the torrent own limit, the session default, or none; ratio and idle', () => {
  const session = { ratioLimited: true, ratioLimit: 2, idleLimited: false, idleLimit: 30 };
  const base = { ratioMode: 0, ratioLimit: 1, idleMode: 0, idleLimit: 5, session, uploaded: 0, ratioBase: 1000, idleMs: 0 };
  assert.equal(seedLimitReached({ ...base, uploaded: 1999 }), undefined);
  assert.equal(seedLimitReached({ ...base, uploaded: 2000 }), 'ratio', 'the session ratio of 2');
  assert.equal(seedLimitReached({ ...base, ratioMode: 1, uploaded: 1000 }), 'ratio', 'its own ratio of 1');
  assert.equal(seedLimitReached({ ...base, ratioMode: 2, uploaded: 1e9 }), undefined, 'unlimited');
  assert.equal(seedLimitReached({ ...base, idleMode: 1, idleMs: 5 * 60_000 }), 'idle');
  assert.equal(seedLimitReached({ ...base, idleMs: 1e9 }), undefined, 'the session idle limit is off');
  assert.equal(uploadRatio(0, 0), -1);
});

test('adjustable limiter: a rate set, changed and lifted at run time wakes its waiters; a parent limit applies too', async () => {
  const clock = new SteppingClock();
  const parent = new AdjustableLimiter(clock, undefined);
  const limiter = new AdjustableLimiter(clock, 32 * 1024, parent);
  assert.ok(limiter.tryTake(16 * 1024));
  let woken = 0;
  while (limiter.tryTake(16 * 1024));
  limiter.whenAvailable(16 * 1024, () => woken++);
  limiter.setRate(undefined);
  assert.equal(woken, 1, 'lifting the limit wakes the waiter at once');
  assert.equal(limiter.available(), Infinity);
  parent.setRate(16 * 1024);
  assert.ok(limiter.tryTake(16 * 1024));
  assert.equal(limiter.tryTake(16 * 1024), false, 'the parent limit holds');
  limiter.whenAvailable(16 * 1024, () => woken++);
  await clock.advance(1000);
  assert.equal(woken, 2, 'woken once the parent bucket refills');
  assert.ok(limiter.tryTake(16 * 1024));
});

test('RPC names: classic kebab and camel to snake_case and back, as Transmission 4.1 maps them', () => {
  assert.equal(snakeName('torrent-get'), 'torrent_get');
  assert.equal(snakeName('hashString'), 'hash_string');
  assert.equal(snakeName('peer-limit'), 'peer_limit');
  assert.equal(snakeName('downloadDir'), 'download_dir');
  assert.equal(snakeName('isUTP'), 'is_utp');
  assert.equal(snakeName('cache-size-mb'), 'cache_size_mib');
  assert.equal(legacyName('seed_ratio_limit'), 'seedRatioLimit');
  assert.equal(legacyName('speed_limit_down'), 'speed-limit-down');
  assert.equal(legacyName('torrent_added'), 'torrent-added');
  assert.deepEqual(snakeKeys({ 'delete-local-data': true, ids: [1] }), { delete_local_data: true, ids: [1] });
});

test('HTTP access: IP addresses and localhost always, other names only when allowed; Basic auth exact', () => {
  for (const host of ['127.0.0.1:9091', 'localhost:9091', 'localhost.', '[::1]:9091', '192.168.1.5']) assert.ok(hostAllowed(host), host);
  for (const host of ['evil.example', 'evil.example:9091', '127.0.0.1.nip.io:9091', '', undefined]) assert.equal(hostAllowed(host), false, String(host));
  assert.ok(hostAllowed('nas.home:9091', ['nas.home']));
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.ok(authorized(undefined, undefined));
  assert.ok(authorized(basic('a:b'), 'a:b'));
  for (const header of [undefined, basic('a:c'), basic('a:bb'), basic('a'), 'Basic !!!', 'Digest x']) assert.equal(authorized(header, 'a:b'), false, String(header));
});
