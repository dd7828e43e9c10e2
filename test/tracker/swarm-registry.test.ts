import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { announce, announceOf, hash, peerId, registry, seededRng } from './registry-helpers.js';

const rng = seededRng(7);
const ports = (peers: { port: number }[]) => peers.map((p) => p.port).sort((a, b) => a - b);

describe('announce', () => {
  test('lists the other peers of the torrent, never the requester', () => {
    const r = registry();
    assert.deepEqual(announce(r, announceOf(1, 1), 0, rng).peers, []);
    announce(r, announceOf(1, 2), 0, rng);
    announce(r, announceOf(2, 3), 0, rng); // another torrent
    const out = announce(r, announceOf(1, 1), 1, rng);
    assert.deepEqual(ports(out.peers), [10_002]);
    assert.deepEqual(out.peers[0]!.peerId, peerId(2).toString('latin1'));
    assert.equal(out.incomplete, 2);
    assert.equal(out.complete, 0);
  });

  test('numwant: 50 by default, capped at maxNumwant, 0 lists none, a per-reply cap applies', () => {
    const r = registry();
    for (let n = 1; n <= 300; n++) announce(r, announceOf(1, n), 0, rng);
    assert.equal(announce(r, announceOf(1, 1), 1, rng).peers.length, 50);
    assert.equal(announce(r, announceOf(1, 1, { numwant: 1000 }), 1, rng).peers.length, 200);
    assert.equal(announce(r, announceOf(1, 1, { numwant: 7 }), 1, rng).peers.length, 7);
    assert.equal(announce(r, announceOf(1, 1, { numwant: 0 }), 1, rng).peers.length, 0);
    assert.equal(announce(r, announceOf(1, 1, { numwant: 1000, maxPeers: 66 }), 1, rng).peers.length, 66);
  });

  test('a list is a set of distinct peers, and different draws list different peers', () => {
    const r = registry();
    for (let n = 1; n <= 300; n++) announce(r, announceOf(1, n), 0, rng);
    const a = announce(r, announceOf(1, 1), 1, seededRng(1)).peers;
    const b = announce(r, announceOf(1, 1), 1, seededRng(2)).peers;
    assert.equal(new Set(a.map((p) => p.port)).size, 50);
    assert.notDeepEqual(ports(a), ports(b));
  });

  test('seeders are not sent to seeders; leechers get both', () => {
    const r = registry();
    for (let n = 1; n <= 3; n++) announce(r, announceOf(1, n, { left: 0 }), 0, rng);
    for (let n = 4; n <= 5; n++) announce(r, announceOf(1, n), 0, rng);
    const toSeeder = announce(r, announceOf(1, 1, { left: 0 }), 1, rng);
    assert.deepEqual(ports(toSeeder.peers), [10_004, 10_005]);
    const toLeecher = announce(r, announceOf(1, 4), 1, rng);
    assert.deepEqual(ports(toLeecher.peers), [10_001, 10_002, 10_003, 10_005]);
    assert.equal(toLeecher.complete, 3);
    assert.equal(toLeecher.incomplete, 2);
  });

  test('a leecher that finishes becomes a seeder; completed counts each download once', () => {
    const r = registry();
    announce(r, announceOf(1, 1), 0, rng);
    announce(r, announceOf(1, 2), 0, rng);
    let out = announce(r, announceOf(1, 1, { left: 0, event: 'completed' }), 1, rng);
    assert.deepEqual([out.complete, out.incomplete, out.downloaded], [1, 1, 1]);
    out = announce(r, announceOf(1, 1, { left: 0, event: 'completed' }), 2, rng); // repeated: not counted again
    assert.equal(out.downloaded, 1);
    out = announce(r, announceOf(1, 3, { left: 0, event: 'completed' }), 3, rng); // unknown peer, done
    assert.deepEqual([out.complete, out.incomplete, out.downloaded], [2, 1, 2]);
    assert.deepEqual(r.scrape(hash(1)), { complete: 2, incomplete: 1, downloaded: 2 });
    assert.deepEqual(r.stats().seeders, 2);
  });

  test('a known leecher reporting left=0 counts as a download without `completed` (aria2 sends only `stopped`)', () => {
    const r = registry();
    announce(r, announceOf(1, 1), 0, rng);
    announce(r, announceOf(1, 2), 0, rng);
    announce(r, announceOf(1, 1, { left: 0 }), 1, rng); // a regular announce, now complete
    announce(r, announceOf(1, 2, { left: 0, event: 'stopped' }), 1, rng);
    announce(r, announceOf(1, 3, { left: 0 }), 1, rng); // a seeder from the start: not a download
    announce(r, announceOf(1, 4, { left: 0, event: 'stopped' }), 1, rng); // unknown: nothing to count
    assert.deepEqual(r.scrape(hash(1)), { complete: 2, incomplete: 0, downloaded: 2 });
  });

  test('stopped removes the peer (and only it); stopping an unknown peer changes nothing', () => {
    const r = registry();
    announce(r, announceOf(1, 1), 0, rng);
    announce(r, announceOf(1, 2, { left: 0 }), 0, rng);
    const out = announce(r, announceOf(1, 2, { left: 0, event: 'stopped' }), 1, rng);
    assert.deepEqual(out.peers, []);
    assert.deepEqual([out.complete, out.incomplete], [0, 1]);
    announce(r, announceOf(1, 99, { event: 'stopped' }), 1, rng);
    announce(r, announceOf(7, 1, { event: 'stopped' }), 1, rng);
    assert.deepEqual(r.stats().peers, 1);
    assert.equal(r.stats().torrents, 1);
  });

  test('unconnectable peers (port 0) are counted but never listed', () => {
    const r = registry();
    announce(r, announceOf(1, 1, { port: 0 }), 0, rng);
    announce(r, announceOf(1, 2, { port: 0, host: '10.0.0.1' }), 0, rng); // same host, port 0, another peer id
    const out = announce(r, announceOf(1, 3), 0, rng);
    assert.equal(out.incomplete, 3);
    assert.deepEqual(out.peers, []);
  });

  test('BEP 7: a peer announcing from IPv4 and IPv6 is two addresses, neither listed to itself; onlyFamily filters', () => {
    const r = registry();
    announce(r, announceOf(1, 1), 0, rng);
    announce(r, announceOf(1, 1, { host: '2001:db8::1' }), 0, rng);
    announce(r, announceOf(1, 2, { host: '2001:db8::2' }), 0, rng);
    announce(r, announceOf(1, 3), 0, rng);
    assert.equal(r.stats().peers, 4);
    const both = announce(r, announceOf(1, 1), 1, rng).peers.map((p) => p.host).sort();
    assert.deepEqual(both, ['10.0.0.3', '2001:db8::2']);
    const v6 = announce(r, announceOf(1, 3, { onlyFamily: 'ipv6' }), 1, rng).peers.map((p) => p.host).sort();
    assert.deepEqual(v6, ['2001:db8::1', '2001:db8::2']);
  });

  test('a peer restarting with a new peer id at the same address replaces its entry', () => {
    const r = registry();
    announce(r, announceOf(1, 1), 0, rng);
    announce(r, announceOf(1, 1, { peerId: peerId(555) }), 1, rng);
    assert.equal(r.stats().peers, 1);
    assert.equal(r.peersOf(hash(1))[0]!.peerId, peerId(555).toString('latin1'));
  });
});

describe('expiry', () => {
  test('peers expire after peerTtlMs without an announce; announcing again keeps them', () => {
    const r = registry({ peerTtlMs: 1000 });
    announce(r, announceOf(1, 1), 0, rng);
    announce(r, announceOf(1, 2), 0, rng);
    announce(r, announceOf(1, 2), 600, rng);
    assert.deepEqual(r.sweep(999), { expiredPeers: 0, droppedTorrents: 0 });
    assert.deepEqual(r.sweep(1000), { expiredPeers: 1, droppedTorrents: 0 });
    assert.deepEqual(r.peersOf(hash(1)).map((p) => p.port), [10_002]);
    assert.deepEqual(r.sweep(1600), { expiredPeers: 1, droppedTorrents: 1 });
    assert.deepEqual(r.stats(), { torrents: 0, peers: 0, seeders: 0, leechers: 0, evictedTorrents: 0, evictedPeers: 0, expiredPeers: 2 });
  });

  test('a torrent whose peers all stopped keeps its download count until it has been quiet for the TTL', () => {
    const r = registry({ peerTtlMs: 1000 });
    announce(r, announceOf(1, 1, { left: 0, event: 'completed' }), 0, rng);
    announce(r, announceOf(1, 1, { left: 0, event: 'stopped' }), 500, rng);
    r.sweep(900);
    assert.deepEqual(r.scrape(hash(1)), { complete: 0, incomplete: 0, downloaded: 1 });
    r.sweep(1000);
    assert.deepEqual(r.scrape(hash(1)), { complete: 0, incomplete: 0, downloaded: 0 });
    assert.equal(r.stats().torrents, 0);
  });
});

describe('caps evict the least recently seen', () => {
  test('maxPeersPerTorrent', () => {
    const r = registry({ maxPeersPerTorrent: 3 });
    for (let n = 1; n <= 3; n++) announce(r, announceOf(1, n), n, rng);
    announce(r, announceOf(1, 1), 10, rng); // 1 is now the most recent; 2 the oldest
    announce(r, announceOf(1, 4), 11, rng);
    assert.deepEqual(r.peersOf(hash(1)).map((p) => p.port), [10_003, 10_001, 10_004]);
    assert.equal(r.stats().evictedPeers, 1);
  });

  test('maxPeers, across torrents', () => {
    const r = registry({ maxPeers: 3 });
    announce(r, announceOf(1, 1), 1, rng);
    announce(r, announceOf(2, 2), 2, rng);
    announce(r, announceOf(3, 3), 3, rng);
    announce(r, announceOf(1, 1), 4, rng);
    announce(r, announceOf(4, 4), 5, rng); // evicts peer 2 of torrent 2
    assert.equal(r.stats().peers, 3);
    assert.deepEqual(r.peersOf(hash(2)), []);
    assert.equal(r.peersOf(hash(1)).length, 1);
  });

  test('maxTorrents drops the torrent announced least recently, with its peers', () => {
    const r = registry({ maxTorrents: 2 });
    announce(r, announceOf(1, 1), 1, rng);
    announce(r, announceOf(1, 2), 1, rng);
    announce(r, announceOf(2, 3), 2, rng);
    announce(r, announceOf(1, 1), 3, rng);
    announce(r, announceOf(3, 4), 4, rng); // torrent 2 goes
    assert.equal(r.stats().torrents, 2);
    assert.deepEqual(r.scrape(hash(2)), { complete: 0, incomplete: 0, downloaded: 0 });
    assert.deepEqual(r.scrape(hash(1)).incomplete, 2);
    assert.deepEqual([r.stats().evictedTorrents, r.stats().evictedPeers, r.stats().peers], [1, 1, 3]);
  });
});

test('property: against a simple model, counts and lists follow the rules whatever the sequence', () => {
  type Op = { torrent: number; peer: number; left: number; event: 0 | 1 | 2 | 3; numwant: number; dt: number; sweep: boolean };
  const op = fc.record({
    torrent: fc.integer({ min: 1, max: 3 }),
    peer: fc.integer({ min: 1, max: 12 }),
    left: fc.constantFrom(0, 0, 100),
    event: fc.constantFrom<Op['event']>(0, 0, 1, 2, 3),
    numwant: fc.integer({ min: 0, max: 8 }),
    dt: fc.integer({ min: 0, max: 400 }),
    sweep: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), fc.integer(), (ops, seed) => {
      const ttl = 1000;
      const r = registry({ peerTtlMs: ttl, maxNumwant: 5 });
      const rand = seededRng(seed);
      // model: torrent → peer → { seeder, lastSeen }
      const model = new Map<number, Map<number, { seeder: boolean; lastSeen: number }>>();
      let now = 0;
      for (const o of ops) {
        now += o.dt;
        const event = ([undefined, 'completed', 'started', 'stopped'] as const)[o.event];
        const out = announce(r, announceOf(o.torrent, o.peer, { left: o.left, event, numwant: o.numwant }), now, rand);
        const swarm = model.get(o.torrent) ?? new Map();
        model.set(o.torrent, swarm);
        if (event === 'stopped') swarm.delete(o.peer);
        else swarm.set(o.peer, { seeder: o.left === 0, lastSeen: now });
        const others = [...swarm].filter(([p, s]) => p !== o.peer && !(o.left === 0 && s.seeder));
        assert.equal(out.complete, [...swarm.values()].filter((s) => s.seeder).length);
        assert.equal(out.incomplete, swarm.size - out.complete);
        if (event === 'stopped') assert.equal(out.peers.length, 0);
        else {
          assert.equal(out.peers.length, Math.min(o.numwant, 5, others.length));
          const listed = new Set(out.peers.map((p) => p.port - 10_000));
          assert.equal(listed.size, out.peers.length);
          for (const p of listed) assert.ok(others.some(([q]) => q === p), `peer ${p} should not be listed`);
        }
        if (o.sweep) {
          r.sweep(now);
          for (const s of model.values()) for (const [p, v] of s) if (v.lastSeen <= now - ttl) s.delete(p);
        }
        const total = [...model.values()].reduce((sum, s) => sum + s.size, 0);
        assert.equal(r.stats().peers, total);
        assert.equal(r.stats().seeders + r.stats().leechers, total);
      }
    }),
    { numRuns: 300, seed: 42 },
  );
});

test('thousands of peers (past the first growth of the columns and of the index), IPv4, IPv6 and port 0 mixed, with stops: each found again, counted once', () => {
  const r = registry({ maxPeers: 20_000, maxPeersPerTorrent: 20_000 });
  const live = new Map<string, { torrent: number; n: number }>();
  const hostOf = (n: number) => (n % 5 === 0 ? `2001:db8::${(n % 4000).toString(16)}` : `10.0.${(n >> 8) & 255}.${n & 255}`);
  const portOf = (n: number) => (n % 7 === 0 ? 0 : 10_000 + n);
  const rand = seededRng(3);
  for (let step = 0; step < 12_000; step++) {
    const n = Math.floor(rand() * 4000);
    const torrent = n % 2;
    const stop = rand() < 0.2;
    announce(r, announceOf(torrent, n, { host: hostOf(n), port: portOf(n), event: stop ? 'stopped' : undefined }), step, rand);
    const key = `${torrent}/${n}`;
    if (stop) live.delete(key);
    else live.set(key, { torrent, n });
  }
  assert.equal(r.stats().peers, live.size);
  for (const torrent of [0, 1]) {
    const listed = r.peersOf(hash(torrent)).map((p) => `${p.host}|${p.port}|${p.peerId}`).sort();
    const expected = [...live.values()].filter((p) => p.torrent === torrent).map((p) => `${hostOf(p.n)}|${portOf(p.n)}|${peerId(p.n).toString('latin1')}`).sort();
    assert.deepEqual(listed, expected);
  }
});
