/**
 * The iterative lookup (src/dht/lookup.ts) over a made-up network, no sockets: alpha = 3 in flight,
 * closest first, done once the k closest have answered; failures make room for the next closest;
 * bounded candidates, nodes per answer and queries; peers collected once each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../src/env/rng.js';
import { Lookup } from '../../src/dht/lookup.js';
import { compareDistance, randomId } from '../../src/dht/node-id.js';
import type { NodeContact } from '../../src/protocol/krpc/index.js';

/** 500 nodes, each knowing 30 random others plus its 8 nearest (a rough Kademlia). */
function network(seed: number) {
  const rng = seededRng(seed);
  const nodes: NodeContact[] = Array.from({ length: 500 }, (_, i) => ({ id: randomId(rng), host: `10.1.${i >> 8}.${i & 255}`, port: 6881 }));
  const knows = new Map<string, NodeContact[]>();
  for (const n of nodes) {
    const near = [...nodes].sort((a, b) => compareDistance(a.id, b.id, n.id)).slice(1, 9);
    const random = Array.from({ length: 30 }, () => nodes[Math.floor(rng() * nodes.length)]!);
    knows.set(n.host, [...near, ...random]);
  }
  const answer = (host: string, target: Buffer) => [...knows.get(host)!].sort((a, b) => compareDistance(a.id, b.id, target)).slice(0, 8);
  return { nodes, answer, rng };
}

test('a lookup converges on the 8 truly closest nodes with alpha = 3 in flight and a few dozen queries', () => {
  const { nodes, answer, rng } = network(1);
  for (let round = 0; round < 20; round++) {
    const target = randomId(rng);
    const lookup = new Lookup(target, nodes.slice(0, 8));
    let maxInFlight = 0;
    const queue: NodeContact[] = [];
    for (let guard = 0; guard < 1000 && !lookup.finished; guard++) {
      queue.push(...lookup.next().map((c) => nodes.find((n) => n.host === c.host)!));
      maxInFlight = Math.max(maxInFlight, lookup.inFlight);
      const asked = queue.shift();
      if (!asked) break;
      lookup.answered(asked.host, asked.port, { id: asked.id, nodes: answer(asked.host, target) });
    }
    assert.ok(lookup.finished);
    assert.ok(maxInFlight <= 3, `in flight ${maxInFlight}`);
    const truth = [...nodes].sort((a, b) => compareDistance(a.id, b.id, target)).slice(0, 8).map((n) => n.host);
    assert.deepEqual(lookup.closestAnswered().map((c) => c.host), truth, 'the k closest, in order');
    assert.ok(lookup.queries <= 40, `queries ${lookup.queries}`);
  }
});

test('failures are skipped, peers are collected once, and everything is bounded', () => {
  const target = Buffer.alloc(20, 0);
  const seeds = Array.from({ length: 20 }, (_, i) => ({ id: Buffer.alloc(20, i + 1), host: `10.2.0.${i}`, port: 1 }));
  const lookup = new Lookup(target, seeds, { maxQueries: 12 });
  const first = lookup.next();
  assert.deepEqual(first.map((c) => c.host), ['10.2.0.0', '10.2.0.1', '10.2.0.2']);
  lookup.failed('10.2.0.0', 1);
  const peers = [{ host: '1.2.3.4', port: 5 }, { host: '1.2.3.4', port: 5 }, { host: '1.2.3.4', port: 0 }];
  assert.deepEqual(lookup.answered('10.2.0.1', 1, { id: seeds[1]!.id, values: peers, token: Buffer.from('t') }), [{ host: '1.2.3.4', port: 5 }]);
  assert.deepEqual(lookup.answered('10.2.0.1', 1, { id: seeds[1]!.id, values: peers }), [], 'a second answer from one node counts once');
  // An answer with 1 000 nodes: only maxNodesPerReply are taken, and candidates stay within bounds.
  const flood = Array.from({ length: 1000 }, (_, i) => ({ id: randomId(seededRng(i)), host: `10.3.${i >> 8}.${i & 255}`, port: 2 }));
  lookup.answered('10.2.0.2', 1, { id: seeds[2]!.id, nodes: flood });
  assert.ok(lookup.view().length <= 64);
  for (let guard = 0; guard < 100 && !lookup.finished; guard++) for (const c of lookup.next()) lookup.failed(c.host, c.port);
  assert.ok(lookup.finished);
  assert.equal(lookup.queries, 12, 'the query budget ends it');
  assert.deepEqual(lookup.closestAnswered().map((c) => c.token?.toString()), ['t', undefined]);
});

test('seeds without ids (routers by name) are asked when nothing closer is known', () => {
  const lookup = new Lookup(Buffer.alloc(20, 9), [{ host: 'router.example', port: 6881 }]);
  const [asked] = lookup.next();
  assert.equal(asked?.host, 'router.example');
  lookup.answered('router.example', 6881, { id: Buffer.alloc(20, 1), nodes: [{ id: Buffer.alloc(20, 9), host: '10.0.0.9', port: 1 }] });
  assert.deepEqual(lookup.next().map((c) => c.host), ['10.0.0.9']);
});
