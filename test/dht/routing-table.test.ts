/**
 * The routing table (src/dht/routing-table.ts) without sockets: buckets split only where our own
 * id falls, k = 8 per bucket, liveness by the 15-minute rules, bad nodes replaced (by newcomers or
 * replacements), questionable ones pinged first, one node per IP address, closest-first answers,
 * stale buckets refreshed; and XOR distance itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../src/env/rng.js';
import { commonPrefixBits, compareDistance, randomId, randomIdWithPrefix } from '../../src/dht/node-id.js';
import { RoutingTable } from '../../src/dht/routing-table.js';

const MIN = 60_000;
const self = Buffer.alloc(20, 0);
/** An id sharing exactly `prefix` leading bits with `self` (all zeros), then `tail`. */
function idAt(prefix: number, tail = 0): Buffer {
  const id = Buffer.alloc(20, 0);
  id[prefix >> 3] = 0x80 >> (prefix & 7);
  id[19] = id[19]! | tail;
  return id;
}
const node = (id: Buffer, n: number) => ({ id, host: `10.0.${n >> 8}.${n & 255}`, port: 6881 });

test('XOR distance: compare, common prefix, random ids inside a bucket', () => {
  const target = Buffer.alloc(20, 0xff);
  assert.ok(compareDistance(Buffer.alloc(20, 0xfe), Buffer.alloc(20, 0x00), target) < 0);
  assert.equal(compareDistance(target, target, target), 0);
  assert.equal(commonPrefixBits(self, idAt(0)), 0);
  assert.equal(commonPrefixBits(self, idAt(13)), 13);
  assert.equal(commonPrefixBits(self, self), 160);
  const rng = seededRng(1);
  for (let depth = 0; depth < 160; depth += 7) assert.equal(commonPrefixBits(self, randomIdWithPrefix(self, depth, rng)), depth);
  assert.ok(commonPrefixBits(self, randomIdWithPrefix(self, 30, rng, true)) >= 30);
  assert.equal(randomId(seededRng(5)).length, 20);
});

test('k = 8 per bucket; the bucket holding our id splits, far buckets do not; bounded', () => {
  const table = new RoutingTable(self, 0);
  for (let i = 0; i < 8; i++) assert.equal(table.heard(node(idAt(0, i), i), 0, true).outcome, 'added');
  assert.equal(table.bucketCount, 1);
  // A 9th far node: the only bucket holds our id, so it splits; the far half (prefix 0) is full.
  assert.equal(table.heard(node(idAt(0, 8), 8), 0, true).outcome, 'replacement');
  assert.equal(table.bucketCount, 2);
  for (let i = 0; i < 8; i++) assert.equal(table.heard(node(idAt(5, i), 100 + i), 0, true).outcome, 'added');
  assert.equal(table.size, 16);
  // Thousands of nodes: never more than k in a bucket, never more than 160 buckets.
  const rng = seededRng(7);
  for (let i = 0; i < 3000; i++) table.heard(node(randomId(rng), 1000 + i), 0, true);
  assert.ok(table.describe(0).every((b) => b.nodes <= 8 && b.replacements <= 8));
  assert.ok(table.bucketCount <= 160);
});

test('liveness: good, questionable after 15 minutes, bad after 2 failures; bad nodes give way, questionable ones are pinged', () => {
  const table = new RoutingTable(self, 0, { oneNodePerIp: false });
  // Fill the far bucket with nodes that answered at t=0 (after a split, so it cannot split again).
  table.heard(node(idAt(40), 999), 0, true);
  for (let i = 0; i < 8; i++) table.heard(node(idAt(0, i), i), 0, true);
  const first = table.find('10.0.0.0', 6881)!;
  assert.equal(table.liveness(first, 14 * MIN), 'good');
  assert.equal(table.liveness(first, 16 * MIN), 'questionable');
  // A newcomer to a full bucket of questionable nodes waits, and the stalest is to be pinged.
  const heard = table.heard(node(idAt(0, 8), 8), 16 * MIN, true);
  assert.equal(heard.outcome, 'replacement');
  assert.ok(heard.ping, 'a questionable node to ping');
  // It does not answer twice: bad, and the replacement takes its place.
  table.failed(heard.ping.host, heard.ping.port, 16 * MIN);
  assert.equal(table.liveness(table.find(heard.ping.host, heard.ping.port)!, 16 * MIN), 'questionable');
  table.failed(heard.ping.host, heard.ping.port, 16 * MIN);
  assert.equal(table.find(heard.ping.host, heard.ping.port), undefined, 'the bad node is gone');
  assert.ok(table.find('10.0.0.8', 6881), 'the replacement is in');
  // A node that answered once and queries us within 15 minutes stays good.
  const other = table.find('10.0.0.1', 6881)!;
  table.heard(other, 20 * MIN, false);
  assert.equal(table.liveness(other, 21 * MIN), 'good');
  assert.ok(table.closest(idAt(0), 20, 16 * MIN).every((n) => table.liveness(n, 16 * MIN) !== 'bad'));
});

test('closest-first; our own id, port 0 and a second node on one IP are refused; another id at a known address only once the old one failed', () => {
  const table = new RoutingTable(self, 0);
  const rng = seededRng(3);
  for (let i = 0; i < 200; i++) table.heard(node(randomId(rng), i), 0, true);
  const target = randomId(rng);
  const closest = table.closest(target, 8, 0);
  assert.equal(closest.length, 8);
  for (let i = 1; i < closest.length; i++) assert.ok(compareDistance(closest[i - 1]!.id, closest[i]!.id, target) <= 0);
  assert.ok(table.all().every((n) => compareDistance(n.id, closest[7]!.id, target) >= 0 || closest.includes(n)));
  assert.equal(table.heard({ id: self, host: '10.9.9.9', port: 1 }, 0, true).outcome, 'refused');
  assert.equal(table.heard({ id: idAt(3), host: '10.9.9.9', port: 0 }, 0, true).outcome, 'refused');
  const known = table.all()[0]!;
  assert.equal(table.heard({ id: idAt(3, 1), host: known.host, port: known.port + 1 }, 0, true).outcome, 'refused', 'one node per IP');
  assert.equal(table.heard({ id: idAt(3, 2), host: known.host, port: known.port }, 0, true).outcome, 'refused', 'a live node keeps its address');
  // Loopback is exempt from the one-per-IP rule (every test node shares 127.0.0.1).
  const local = new RoutingTable(self, 0);
  assert.equal(local.heard({ id: idAt(1), host: '127.0.0.1', port: 1 }, 0, true).outcome, 'added');
  assert.equal(local.heard({ id: idAt(2), host: '127.0.0.1', port: 2 }, 0, true).outcome, 'added');
});

test('buckets untouched for 15 minutes are due for a refresh, with a target inside them', () => {
  const table = new RoutingTable(self, 0);
  for (let i = 0; i < 9; i++) table.heard(node(idAt(i % 2, i), i), 0, true);
  assert.deepEqual(table.staleBuckets(10 * MIN, seededRng(1)), []);
  const stale = table.staleBuckets(16 * MIN, seededRng(1));
  assert.equal(stale.length, table.bucketCount);
  for (const { depth, target } of stale) assert.ok(commonPrefixBits(self, target) >= depth);
  table.touchBucket(0, 16 * MIN);
  assert.ok(!table.staleBuckets(17 * MIN, seededRng(1)).some((b) => b.depth === 0));
});
