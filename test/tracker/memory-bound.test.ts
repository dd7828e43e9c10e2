/**
 * A flood of distinct infohashes and peers (what an attacker, or a misbehaving client, can send for
 * free) must leave the tracker's memory bounded: the caps hold at every step, and the heap stops
 * growing once they are reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SwarmRegistry } from '../../src/tracker/swarm-registry.js';
import { DEFAULT_LIMITS, trackerConfig } from '../../src/tracker/tracker-config.js';
import { TrackerCore } from '../../src/tracker/tracker-core.js';
import { LIMITS, seededRng } from './registry-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The JS heap and the typed arrays' backing stores outside it (the registry keeps its peers there). */
function heapMB(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

/** Announce number `i` of a flood: a fresh peer, on torrent `torrentOf(i)`. */
function flood(r: SwarmRegistry, from: number, to: number, torrentOf: (i: number) => number, check: () => void): void {
  const rng = seededRng(from);
  const infoHash = Buffer.alloc(20);
  const peerId = Buffer.alloc(20, 0x2d);
  const address = Buffer.alloc(4);
  for (let i = from; i < to; i++) {
    infoHash.writeUInt32BE(torrentOf(i) >>> 0, 0);
    peerId.writeUInt32BE(i >>> 0, 0);
    address.writeUInt32BE(((10 << 24) | (i & 0xffffff)) >>> 0, 0);
    r.announce(
      { infoHash, peerId, address, port: 1024 + (i % 60_000), left: i % 4 === 0 ? 0 : 1, numwant: 0 },
      i,
      rng,
    );
    if (i % 10_000 === 0) check();
  }
  check();
}

test('200,000 distinct infohashes: torrents and peers stay within their caps, and the heap stops growing', () => {
  const limits = { ...LIMITS, maxTorrents: 5_000, maxPeers: 20_000, maxPeersPerTorrent: 1_000 };
  const r = new SwarmRegistry(limits, 1);
  const check = () => {
    const s = r.stats();
    assert.ok(s.torrents <= limits.maxTorrents, `${s.torrents} torrents`);
    assert.ok(s.peers <= limits.maxPeers, `${s.peers} peers`);
  };
  const start = heapMB();
  flood(r, 0, 100_000, (i) => i, check);
  const half = heapMB();
  flood(r, 100_000, 200_000, (i) => i, check);
  const end = heapMB();
  const s = r.stats();
  assert.equal(s.torrents, 5_000);
  assert.equal(s.peers, 5_000);
  assert.equal(s.evictedTorrents, 195_000);
  assert.ok(half - start < 20, `the capped registry took ${(half - start).toFixed(1)} MB`);
  assert.ok(end - half < 3, `the heap grew by ${(end - half).toFixed(1)} MB after the caps were reached`);
});

test('200,000 distinct peers in a few torrents: maxPeersPerTorrent and maxPeers hold', () => {
  const limits = { ...LIMITS, maxTorrents: 1_000, maxPeers: 20_000, maxPeersPerTorrent: 3_000 };
  const r = new SwarmRegistry(limits, 1);
  const check = () => {
    const s = r.stats();
    assert.ok(s.peers <= limits.maxPeers, `${s.peers} peers`);
    for (let t = 0; t < 10; t++) {
      const h = Buffer.alloc(20);
      h.writeUInt32BE(t, 0);
      const c = r.scrape(h);
      assert.ok(c.complete + c.incomplete <= limits.maxPeersPerTorrent);
    }
  };
  const start = heapMB();
  flood(r, 0, 100_000, (i) => i % 10, check);
  const half = heapMB();
  flood(r, 100_000, 200_000, (i) => i % 10, check);
  const end = heapMB();
  assert.equal(r.stats().peers, 20_000);
  assert.ok(end - half < 3, `the heap grew by ${(end - half).toFixed(1)} MB after the caps were reached (it had taken ${(half - start).toFixed(1)} MB)`);
});

test('the default caps hold a flood of 300,000 distinct peers to 250,000 and about 50 MB', (t) => {
  const core = new TrackerCore({}, Buffer.alloc(32, 1));
  const config = trackerConfig();
  assert.equal(config.maxPeers, DEFAULT_LIMITS.maxPeers);
  const start = heapMB();
  flood(core.registry, 0, 300_000, (i) => i % 40_000, () => {
    const s = core.registry.stats();
    assert.ok(s.peers <= config.maxPeers && s.torrents <= config.maxTorrents, JSON.stringify(s));
  });
  const used = heapMB() - start;
  assert.equal(core.registry.stats().peers, DEFAULT_LIMITS.maxPeers);
  assert.ok(used < 80, `${used.toFixed(1)} MB for ${DEFAULT_LIMITS.maxPeers} peers`);
  t.diagnostic(`default caps: ${core.registry.stats().peers} peers in ${used.toFixed(1)} MB (${((used * 1e6) / core.registry.stats().peers).toFixed(0)} bytes each)`);
});
