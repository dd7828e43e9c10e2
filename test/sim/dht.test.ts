/**
 * The Mainline DHT in the simulator: 200 real DHT actors on simulated datagrams (SimUdp over a
 * SimNetwork, one SimClock), all bootstrapped from node 0. Ten nodes announce an infohash each;
 * ten others look them up: every lookup finds its announcer, within a few dozen queries. Then 20 %
 * of the nodes vanish (their datagrams are lost both ways) and fresh lookups still find every
 * announcer. The same seed gives the same run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DhtSimNetwork } from '../../src/sim/dht-network.js';
import { seededRng } from '../../src/env/rng.js';

const NODES = 200;
const TORRENTS = 10;
/** "A few dozen queries": what one get_peers lookup may cost at most. */
const MAX_QUERIES_PER_LOOKUP = 40;

interface LookupResult {
  found: boolean;
  queries: number;
}

function infoHashes(seed: number): Buffer[] {
  const rng = seededRng(seed);
  return Array.from({ length: TORRENTS }, () => Buffer.from(Array.from({ length: 20 }, () => Math.floor(rng() * 256))));
}

/** Node `looker` looks up `infoHash` once; did it find `announcer` (at its announced port), and at what cost? */
async function lookUp(sim: DhtSimNetwork, looker: number, infoHash: Buffer, announcer: number, port: number): Promise<LookupResult> {
  const node = sim.nodes[looker]!;
  const hex = infoHash.toString('hex');
  const before = node.events.length;
  node.dht.track(infoHash);
  const done = () => node.events.slice(before).find((e) => e.type === 'lookup-done' && e.target === hex);
  await sim.run(60_000, () => done() !== undefined);
  node.dht.untrack(hex);
  const result = done();
  assert.ok(result && result.type === 'lookup-done', `node ${looker}'s lookup of ${hex} ended`);
  const found = (node.found.get(hex) ?? []).some((p) => p.host === sim.nodes[announcer]!.address && p.port === port);
  node.found.delete(hex);
  return { found, queries: result.queries };
}

async function scenario(seed: number): Promise<{ before: LookupResult[]; after: LookupResult[]; traffic: number; vanished: number; tables: number[] }> {
  const sim = new DhtSimNetwork({ count: NODES, seed });
  try {
    await sim.start();
    await sim.run(60_000);
    const hashes = infoHashes(seed);
    const announcers = hashes.map((_, i) => 10 + i);
    hashes.forEach((hash, i) => sim.nodes[announcers[i]!]!.dht.track(hash, { port: 7000 + i }));
    await sim.run(30_000);
    const before: LookupResult[] = [];
    for (let i = 0; i < TORRENTS; i++) before.push(await lookUp(sim, 100 + i, hashes[i]!, announcers[i]!, 7000 + i));

    // 20 % of the nodes vanish mid-run: never node 0, an announcer or a looker of the second round.
    const spared = new Set([0, ...announcers, ...Array.from({ length: TORRENTS }, (_, i) => 150 + i)]);
    const rng = seededRng(seed + 99);
    const candidates = sim.nodes.map((n) => n.index).filter((i) => !spared.has(i));
    let vanished = 0;
    while (vanished < NODES / 5) {
      const at = Math.floor(rng() * candidates.length);
      sim.vanish(candidates.splice(at, 1)[0]!);
      vanished++;
    }
    await sim.run(5_000);
    const after: LookupResult[] = [];
    for (let i = 0; i < TORRENTS; i++) after.push(await lookUp(sim, 150 + i, hashes[i]!, announcers[i]!, 7000 + i));
    return { before, after, traffic: sim.udp.sent, vanished, tables: sim.nodes.map((n) => n.dht.stats().nodes) };
  } finally {
    await sim.close();
  }
}

test('simulated DHT of 200 nodes: lookups find every announcer within a few dozen queries, also after 20 % of the nodes vanish; deterministic', { timeout: 240_000 }, async () => {
  const started = performance.now();
  const run = await scenario(7);
  const seconds = (performance.now() - started) / 1000;
  const describe = (r: LookupResult[]) => r.map((x) => `${x.found ? 'found' : 'MISSED'}/${x.queries}q`).join(' ');
  assert.ok(run.before.every((r) => r.found), `every lookup finds its announcer: ${describe(run.before)}`);
  assert.ok(run.before.every((r) => r.queries <= MAX_QUERIES_PER_LOOKUP), `queries per lookup: ${describe(run.before)}`);
  assert.equal(run.vanished, 40);
  assert.ok(run.after.every((r) => r.found), `after 20 % vanished, every lookup still finds its announcer: ${describe(run.after)}`);
  assert.ok(run.after.every((r) => r.queries <= MAX_QUERIES_PER_LOOKUP), `queries per lookup after the churn: ${describe(run.after)}`);
  // Bounded: no table beyond what 200 nodes can fill, and every node knows some.
  assert.ok(run.tables.every((n) => n > 0 && n <= 160 * 8), `table sizes ${Math.min(...run.tables)}..${Math.max(...run.tables)}`);
  const queries = (r: LookupResult[]) => r.map((x) => x.queries);
  console.log(
    `200-node DHT: lookups before churn ${queries(run.before).join(',')} queries, after 40 vanished ${queries(run.after).join(',')}; ` +
      `${run.traffic} datagrams; tables ${Math.min(...run.tables)}..${Math.max(...run.tables)} nodes; ${seconds.toFixed(1)} s`,
  );

  const again = await scenario(7);
  assert.deepEqual(again, run, 'the same seed gives the same run');
});
