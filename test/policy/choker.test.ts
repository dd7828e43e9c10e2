import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSnubbed, rechoke, type PeerStats, type RechokeOptions } from '../../src/policy/choker.js';
import { seededRng } from '../support/fuzz.js';

const NOW = 1_000_000;

/** Interested peers p0..p(n-1) with the given download rates (upload rates reversed, to tell them apart). */
function peersWithRates(rates: number[]): PeerStats[] {
  return rates.map((r, i) => ({ id: `p${String(i).padStart(2, '0')}`, interested: true, downloadRate: r, uploadRate: 1000 - r }));
}

function run(peers: PeerStats[], opts: Partial<RechokeOptions> = {}) {
  return rechoke(peers, { seeding: false, now: NOW, round: 0, rng: seededRng(1), ...opts });
}

test('leeching: the 4 fastest uploaders to us get the regular slots, best first, plus one optimistic', () => {
  const peers = peersWithRates([50, 10, 90, 0, 70, 30, 80, 20, 60, 40]);
  const result = run(peers);
  assert.deepEqual(result.regular, ['p02', 'p06', 'p04', 'p08']);
  assert.equal(result.optimistics.length, 1);
  assert.equal(result.optimistic, result.optimistics[0]);
  assert.ok(!result.regular.includes(result.optimistic!));
  assert.deepEqual(result.unchoked, [...result.regular, result.optimistic]);
});

test('slots are respected, including zero and more slots than peers', () => {
  const peers = peersWithRates([5, 4, 3, 2, 1, 0]);
  for (const slots of [0, 1, 2, 4, 6, 10]) {
    const result = run(peers, { slots });
    assert.equal(result.regular.length, Math.min(slots, 6));
    assert.equal(result.optimistics.length, slots >= 6 ? 0 : 1, `slots ${slots}`);
    assert.equal(new Set(result.unchoked).size, result.unchoked.length);
  }
  assert.equal(run(peers, { optimisticSlots: 0 }).optimistic, undefined);
  const two = run(peers, { optimisticSlots: 2 });
  assert.equal(two.optimistics.length, 2);
  assert.equal(two.unchoked.length, 6);
});

test('seeding: ranked by our upload rate to them, not theirs to us', () => {
  const peers = peersWithRates([50, 10, 90, 0, 70, 30]);
  assert.deepEqual(run(peers, { seeding: true }).regular, ['p03', 'p01', 'p05', 'p00']);
});

test('peers that are not interested are never unchoked', () => {
  const peers = peersWithRates([100, 90, 80, 70, 60, 50]).map((p, i) => ({ ...p, interested: i % 2 === 1 }));
  for (let round = 0; round < 30; round++) {
    const result = run(peers, { round, rng: seededRng(round), previousOptimistic: 'p00' });
    assert.deepEqual(result.regular, ['p01', 'p03', 'p05']);
    assert.equal(result.optimistic, undefined);
  }
  assert.deepEqual(run(peers.map((p) => ({ ...p, interested: false }))).unchoked, []);
  assert.deepEqual(run([]).unchoked, []);
});

test('anti-snubbing: a peer silent for 60 s while we want its data gets no regular slot', () => {
  const peers = peersWithRates([1000, 50, 40, 30, 20, 10]);
  peers[0] = { ...peers[0]!, amInterested: true, lastBlockReceivedAt: NOW - 60_000 };
  const result = run(peers);
  assert.deepEqual(result.regular, ['p01', 'p02', 'p03', 'p04']);
  // It may still get the optimistic slot: with p05 it is one of two candidates.
  const optimists = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => run(peers, { rng: seededRng(s) }).optimistic));
  assert.deepEqual([...optimists].sort(), ['p00', 'p05']);
  // 59.999 s is not yet snubbed; nor is a silent peer we do not want anything from.
  peers[0] = { ...peers[0]!, lastBlockReceivedAt: NOW - 59_999 };
  assert.equal(run(peers).regular[0], 'p00');
  peers[0] = { ...peers[0]!, amInterested: false, lastBlockReceivedAt: NOW - 600_000 };
  assert.equal(run(peers).regular[0], 'p00');
});

test('isSnubbed: the clock runs from the last block, or from when we became interested if later', () => {
  const base: PeerStats = { id: 'x', interested: true, amInterested: true, downloadRate: 0, uploadRate: 0 };
  assert.equal(isSnubbed(base, NOW), false, 'no reference time: not snubbed');
  assert.equal(isSnubbed({ ...base, amInterestedSince: NOW - 60_000 }, NOW), true, 'never sent a block since we asked');
  assert.equal(isSnubbed({ ...base, amInterestedSince: NOW - 10_000, lastBlockReceivedAt: NOW - 100_000 }, NOW), false);
  assert.equal(isSnubbed({ ...base, amInterestedSince: NOW - 100_000, lastBlockReceivedAt: NOW - 10_000 }, NOW), false);
  assert.equal(isSnubbed({ ...base, lastBlockReceivedAt: NOW - 30_000 }, NOW, 30_000), true, 'custom timeout');
  assert.equal(isSnubbed({ ...base, amInterested: false, snubbed: true }, NOW), true, 'forced');
  const seeding = run([{ ...base, amInterested: false, lastBlockReceivedAt: 0 }], { seeding: true });
  assert.deepEqual(seeding.regular, ['x'], 'a seed wants nothing, so it snubs no one');
});

test('optimistic unchoke rotates every 3rd round and is kept in between', () => {
  // p00..p03 always win the regular slots; the optimistic one comes from the other 8.
  const peers = peersWithRates([100, 90, 80, 70, 0, 0, 0, 0, 0, 0, 0, 0]);
  const rng = seededRng(42);
  let previous: string | undefined;
  const drawn: string[] = [];
  for (let round = 0; round < 60; round++) {
    const result = run(peers, { round, rng, previousOptimistic: previous });
    assert.deepEqual(result.regular, ['p00', 'p01', 'p02', 'p03']);
    assert.ok(result.optimistic && !result.regular.includes(result.optimistic));
    if (round % 3 === 0) drawn.push(result.optimistic);
    else assert.equal(result.optimistic, previous, `round ${round} keeps the optimistic peer`);
    previous = result.optimistic;
  }
  assert.ok(new Set(drawn).size >= 5, `rotations reach many peers: ${drawn.join(' ')}`);
});

test('the optimistic slot goes to the peer that has waited longest since we choked it; equals are drawn at random', () => {
  const peers = peersWithRates([100, 90, 80, 70, 0, 0, 0, 0]).map((p, i) => ({ ...p, chokedSince: i < 4 ? undefined : NOW - [5, 50, 20, 50][i - 4]! * 1000 }));
  // p05 and p07 waited 50 s, the longest: one of them, whichever the rng picks, never p04 or p06.
  const picked = new Set<string>();
  for (let seed = 0; seed < 40; seed++) picked.add(run(peers, { rng: seededRng(seed) }).optimistic!);
  assert.deepEqual([...picked].sort(), ['p05', 'p07']);
  // Peers with no known wait go after every peer with one.
  const unknown = peers.map((p) => (p.id === 'p05' || p.id === 'p07' ? { ...p, chokedSince: undefined } : p));
  assert.equal(run(unknown).optimistic, 'p06');
  // A rotation over rounds, the chosen peer's clock restarting when it is choked again, reaches everyone in turn.
  const waiting = new Map(peers.slice(4).map((p) => [p.id, p.chokedSince!]));
  const order: string[] = [];
  let now = NOW;
  for (let round = 0; round < 4; round++, now += 30_000) {
    const stats = peers.map((p) => ({ ...p, chokedSince: waiting.get(p.id) }));
    const chosen = run(stats, { now, round: round * 3, rng: seededRng(round) }).optimistic!;
    order.push(chosen);
    waiting.set(chosen, now + 30_000);
  }
  assert.deepEqual([...order].sort(), ['p04', 'p05', 'p06', 'p07']);
  assert.deepEqual(order.slice(2), ['p06', 'p04']);
});

test('between rotations a new optimistic peer is drawn if the previous one left, lost interest or won a regular slot', () => {
  const peers = peersWithRates([100, 90, 80, 70, 0, 0, 0]);
  assert.equal(run(peers, { round: 1, previousOptimistic: 'p05' }).optimistic, 'p05');
  const gone = run(peers, { round: 1, previousOptimistic: 'p99' }).optimistic;
  assert.ok(gone && ['p04', 'p05', 'p06'].includes(gone));
  const bored = peers.map((p) => (p.id === 'p05' ? { ...p, interested: false } : p));
  assert.ok(['p04', 'p06'].includes(run(bored, { round: 1, previousOptimistic: 'p05' }).optimistic!));
  const promoted = peers.map((p) => (p.id === 'p05' ? { ...p, downloadRate: 500 } : p));
  const result = run(promoted, { round: 1, previousOptimistic: 'p05' });
  assert.equal(result.regular[0], 'p05');
  assert.ok(['p03', 'p04', 'p06'].includes(result.optimistic!));
});

test('ties prefer peers we already unchoke, then the rng', () => {
  const peers = peersWithRates([0, 0, 0, 0, 0, 0, 0, 0]);
  const sticky = peers.map((p, i) => (i >= 4 ? { ...p, unchokedSince: NOW - 10_000 } : p));
  for (let s = 1; s <= 10; s++) assert.deepEqual([...run(sticky, { rng: seededRng(s) }).regular].sort(), ['p04', 'p05', 'p06', 'p07']);
  const sets = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => [...run(peers, { rng: seededRng(s) }).regular].sort().join()));
  assert.ok(sets.size > 1, 'equal peers are not always resolved the same way');
  // A better rate still beats an unchoked peer.
  const faster = sticky.map((p) => (p.id === 'p00' ? { ...p, downloadRate: 1 } : p));
  assert.equal(run(faster).regular[0], 'p00');
});

test('determinism: same peers in any order and same rng give the same result', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ interested: fc.boolean(), down: fc.nat(5), up: fc.nat(5), snub: fc.boolean(), unchoked: fc.boolean() }), { maxLength: 20, size: 'max' }),
      fc.integer(),
      fc.nat(10),
      fc.boolean(),
      fc.integer(),
      (specs, seed, round, seeding, shuffleSeed) => {
        const peers: PeerStats[] = specs.map((s, i) => ({
          id: `peer-${i}`,
          interested: s.interested,
          downloadRate: s.down,
          uploadRate: s.up,
          snubbed: s.snub,
          ...(s.unchoked ? { unchokedSince: NOW - 1 } : {}),
        }));
        const shuffled = [...peers];
        const r = seededRng(shuffleSeed);
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const opts = { seeding, now: NOW, round, previousOptimistic: 'peer-3' };
        const a = rechoke(peers, { ...opts, rng: seededRng(seed) });
        const b = rechoke(shuffled, { ...opts, rng: seededRng(seed) });
        assert.deepEqual(a, b);
        // And the result is well formed.
        const byId = new Map(peers.map((p) => [p.id, p]));
        assert.ok(a.regular.length <= 4 && a.optimistics.length <= 1);
        for (const id of a.unchoked) assert.ok(byId.get(id)!.interested);
        for (const id of a.regular) assert.ok(!byId.get(id)!.snubbed, 'a snubbed peer holds no regular slot');
        const eligible = peers.filter((p) => p.interested && !p.snubbed).length;
        assert.equal(a.regular.length, Math.min(4, eligible), 'no regular slot left empty while someone qualifies');
      },
    ),
    { numRuns: 300, seed: 99 },
  );
});

test('fairness: over many rounds every interested peer gets unchoked', () => {
  fc.assert(
    fc.property(fc.integer(), fc.boolean(), (seed, fixedLeaders) => {
      const rng = seededRng(seed);
      const ids = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);
      const served = new Set<string>();
      let previous: string | undefined;
      for (let round = 0; round < 600; round++) {
        // Random rates each round; or 4 peers always far ahead, so only the optimistic slot serves the rest.
        const peers = ids.map((id, i) => {
          const rate = fixedLeaders ? (i < 4 ? 1e6 : 0) : Math.floor(rng() * 1000);
          return { id, interested: true, downloadRate: rate, uploadRate: rate };
        });
        const result = rechoke(peers, { seeding: round % 2 === 0, now: round * 10_000, round, rng, previousOptimistic: previous });
        previous = result.optimistic;
        for (const id of result.unchoked) served.add(id);
      }
      assert.equal(served.size, ids.length, `never unchoked: ${ids.filter((id) => !served.has(id)).join(' ')}`);
    }),
    { numRuns: 20, seed: 5 },
  );
});

test('bad arguments are refused', () => {
  const peers = peersWithRates([1, 2]);
  assert.throws(() => run([...peers, peers[0]!]), /duplicate/);
  assert.throws(() => run(peers, { slots: -1 }), RangeError);
  assert.throws(() => run(peers, { optimisticSlots: 1.5 }), RangeError);
  assert.throws(() => run(peers, { optimisticEveryRounds: 0 }), RangeError);
  assert.throws(() => run(peers, { round: -1 }), RangeError);
  const nan = run([{ id: 'a', interested: true, downloadRate: NaN, uploadRate: 0 }, ...peers]);
  assert.deepEqual(nan.regular, ['p01', 'p00', 'a'], 'a NaN rate counts as zero');
});
