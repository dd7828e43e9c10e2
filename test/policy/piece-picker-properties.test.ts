// Property tests: random sequences of picker operations, with every invariant checked after each step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PiecePicker, type BlockRequest } from '../../src/policy/piece-picker.js';
import { BLOCK, bitfield, seededRng } from './picker-helpers.js';

const PEERS = ['a', 'b', 'c', 'd', 'e', 'f'];
const key = (r: BlockRequest) => `${r.index}:${r.begin}:${r.length}`;

const geometry = fc
  .record({ pieceCount: fc.integer({ min: 1, max: 40 }), blocksPerPiece: fc.integer({ min: 1, max: 5 }), lastShort: fc.integer({ min: 0, max: 4 * BLOCK }) })
  .map(({ pieceCount, blocksPerPiece, lastShort }) => {
    const pieceLength = blocksPerPiece * BLOCK;
    const totalLength = pieceCount * pieceLength - Math.min(lastShort, pieceLength - 1);
    return { pieceCount, pieceLength, totalLength, blockSize: BLOCK };
  });

const op = fc.oneof(
  fc.record({ t: fc.constant('bitfield' as const), peer: fc.nat(), bits: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }) }),
  fc.record({ t: fc.constant('haveAll' as const), peer: fc.nat() }),
  fc.record({ t: fc.constant('haveNone' as const), peer: fc.nat() }),
  fc.record({ t: fc.constant('have' as const), peer: fc.nat(), piece: fc.nat() }),
  fc.record({ t: fc.constant('pick' as const), peer: fc.nat(), max: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ t: fc.constant('pick' as const), peer: fc.nat(), max: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ t: fc.constant('receive' as const), peer: fc.nat(), k: fc.nat() }),
  fc.record({ t: fc.constant('receive' as const), peer: fc.nat(), k: fc.nat() }),
  fc.record({ t: fc.constant('fail' as const), peer: fc.nat(), k: fc.nat() }),
  fc.record({ t: fc.constant('release' as const), peer: fc.nat() }),
  fc.record({ t: fc.constant('gone' as const), peer: fc.nat() }),
  fc.record({ t: fc.constant('verify' as const), k: fc.nat(), ok: fc.boolean() }),
  fc.record({ t: fc.constant('want' as const), piece: fc.nat(), wanted: fc.boolean() }),
  fc.record({ t: fc.constant('priority' as const), piece: fc.nat(), priority: fc.constantFrom(-1 as const, 0 as const, 1 as const) }),
  fc.record({ t: fc.constant('setHave' as const), piece: fc.nat() }),
  fc.record({ t: fc.constant('stray' as const), peer: fc.nat(), piece: fc.nat(), block: fc.integer({ min: -1, max: 5 }), length: fc.nat({ max: 2 * BLOCK }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Which peers list each block as outstanding, read through the public API. */
function holders(picker: PiecePicker): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const p of PEERS) for (const r of picker.outstanding(p)) map.set(key(r), [...(map.get(key(r)) ?? []), p]);
  return map;
}

function apply(picker: PiecePicker, o: Op, rng: () => number): void {
  const n = picker.pieceCount;
  const peer = 'peer' in o ? PEERS[o.peer % PEERS.length]! : '';
  switch (o.t) {
    case 'bitfield':
      picker.peerBitfield(peer, bitfield(o.bits.slice(0, n)));
      break;
    case 'haveAll':
      picker.peerHaveAll(peer);
      break;
    case 'haveNone':
      picker.peerHaveNone(peer);
      break;
    case 'have':
      picker.peerHave(peer, o.piece % n);
      break;
    case 'pick': {
      const before = new Set(picker.outstanding(peer).map(key));
      const inEndgame = picker.inEndgame();
      const picked = picker.pickRequests(peer, o.max, { rng });
      assert.ok(picked.length <= o.max);
      assert.equal(new Set(picked.map(key)).size, picked.length, 'no block twice in one pick');
      const after = holders(picker);
      for (const r of picked) {
        assert.ok(picker.layout.blockOf(r) >= 0, 'a real block');
        assert.ok(picker.peerHas(peer, r.index), 'the peer has the piece');
        assert.ok(picker.isWanted(r.index), 'the piece is wanted');
        assert.equal(picker.state(r.index), 'partial');
        assert.ok(!before.has(key(r)), 'not already outstanding at this peer');
        const at = after.get(key(r)) ?? [];
        assert.ok(at.includes(peer));
        if (at.length > 1) assert.ok(inEndgame || picker.inEndgame(), 'a duplicate only in endgame');
      }
      // Nothing left behind: a short answer means the peer has no untouched wanted piece.
      if (picked.length < o.max) {
        for (let i = 0; i < n; i++) {
          assert.ok(!(picker.peerHas(peer, i) && picker.isWanted(i) && picker.state(i) === 'untouched'), `piece ${i} left untouched`);
        }
      }
      break;
    }
    case 'receive': {
      const reqs = picker.outstanding(peer);
      if (reqs.length === 0) break;
      const r = reqs[o.k % reqs.length]!;
      const others = (holders(picker).get(key(r)) ?? []).filter((p) => p !== peer);
      const result = picker.blockReceived(peer, r);
      assert.ok(result.accepted);
      assert.deepEqual([...result.cancelFrom].sort(), others.sort());
      assert.equal(holders(picker).get(key(r)), undefined, 'nobody has it outstanding any more');
      assert.equal(picker.blockReceived(peer, r).accepted, false, 'a second copy is refused');
      if (result.pieceComplete) assert.equal(picker.state(r.index), 'verifying');
      break;
    }
    case 'fail': {
      const reqs = picker.outstanding(peer);
      if (reqs.length === 0) break;
      assert.ok(picker.requestFailed(peer, reqs[o.k % reqs.length]!));
      break;
    }
    case 'release': {
      const count = picker.outstanding(peer).length;
      assert.equal(picker.releaseRequests(peer), count);
      assert.equal(picker.outstandingCount(peer), 0);
      break;
    }
    case 'gone':
      picker.peerGone(peer);
      assert.deepEqual(picker.outstanding(peer), []);
      break;
    case 'verify': {
      const verifying = [...Array(n).keys()].filter((i) => picker.state(i) === 'verifying');
      if (verifying.length === 0) break;
      const i = verifying[o.k % verifying.length]!;
      if (o.ok) picker.pieceVerified(i);
      else picker.pieceFailed(i);
      break;
    }
    case 'want':
      picker.setWanted(o.piece % n, o.wanted);
      break;
    case 'priority':
      picker.setPriority(o.piece % n, o.priority);
      assert.equal(picker.priority(o.piece % n), o.priority);
      break;
    case 'setHave':
      picker.setHave(o.piece % n);
      break;
    case 'stray': {
      const r = { index: o.piece % (n + 1), begin: o.block * BLOCK, length: o.length };
      const wasOutstanding = picker.outstanding(peer).some((x) => key(x) === key(r));
      assert.equal(picker.blockReceived(peer, r).accepted, wasOutstanding, 'accepted exactly when outstanding');
      break;
    }
  }
}

test('property: random operation sequences keep every invariant', () => {
  fc.assert(
    fc.property(geometry, fc.integer({ min: 0, max: 5 }), fc.integer(), fc.array(op, { minLength: 10, maxLength: 150, size: 'max' }), (geo, randomFirstPieces, seed, ops) => {
      const picker = new PiecePicker({ ...geo, randomFirstPieces });
      const rng = seededRng(seed);
      const had = new Set<number>();
      for (const o of ops) {
        apply(picker, o, rng);
        picker.assertInvariants();
        for (const i of had) assert.ok(picker.have(i), 'a piece we have stays had');
        for (let i = 0; i < picker.pieceCount; i++) if (picker.have(i)) had.add(i);
      }
    }),
    { numRuns: 300, seed: 20240601 },
  );
});

test('property: the first new piece is the rarest the peer has, and one it has', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 120, size: 'max' }),
      // Dense bitfields are scanned through the availability order, sparse ones walked bit by bit.
      fc.oneof(
        fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }),
        fc.uniqueArray(fc.nat(119), { maxLength: 4 }).map((held) => Array.from({ length: 120 }, (_, i) => held.includes(i))),
      ),
      fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }),
      fc.integer(),
      (levels, peerHas, weHave, seed) => {
        const n = levels.length;
        const picker = new PiecePicker({ pieceCount: n, pieceLength: BLOCK, totalLength: n * BLOCK, blockSize: BLOCK, randomFirstPieces: 0 });
        const most = Math.max(...levels);
        for (let j = 0; j < most; j++) picker.peerBitfield(`bg${j}`, bitfield(levels.map((l) => j < l)));
        picker.peerBitfield('q', bitfield(peerHas.slice(0, n)));
        for (let i = 0; i < n; i++) if (weHave[i]) picker.setHave(i);
        const candidates = [...Array(n).keys()].filter((i) => picker.peerHas('q', i) && !picker.have(i));
        const picked = picker.pickRequests('q', 1, { rng: seededRng(seed) });
        picker.assertInvariants();
        if (candidates.length === 0) return assert.deepEqual(picked, []);
        const rarest = Math.min(...candidates.map((i) => picker.availability(i)));
        assert.equal(picked.length, 1);
        assert.ok(candidates.includes(picked[0]!.index));
        assert.equal(picker.availability(picked[0]!.index), rarest);
      },
    ),
    { numRuns: 500, seed: 7 },
  );
});

test('property: the first new piece is of the highest priority the peer offers, the rarest of those', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ level: fc.integer({ min: 0, max: 6 }), priority: fc.constantFrom(-1 as const, 0 as const, 1 as const) }), { minLength: 1, maxLength: 120, size: 'max' }),
      // Dense bitfields are scanned through the availability orders, sparse ones walked bit by bit.
      fc.oneof(
        fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }),
        fc.uniqueArray(fc.nat(119), { maxLength: 4 }).map((held) => Array.from({ length: 120 }, (_, i) => held.includes(i))),
      ),
      fc.boolean(),
      fc.integer(),
      (pieces, peerHas, randomFirst, seed) => {
        const n = pieces.length;
        const picker = new PiecePicker({ pieceCount: n, pieceLength: BLOCK, totalLength: n * BLOCK, blockSize: BLOCK, randomFirstPieces: randomFirst ? 4 : 0 });
        const most = Math.max(...pieces.map((p) => p.level));
        for (let j = 0; j < most; j++) picker.peerBitfield(`bg${j}`, bitfield(pieces.map((p) => j < p.level)));
        pieces.forEach((p, i) => picker.setPriority(i, p.priority));
        const q = seed % 2 === 0 ? 'q' : 'seed';
        if (q === 'seed') picker.peerHaveAll(q);
        else picker.peerBitfield(q, bitfield(peerHas.slice(0, n)));
        picker.assertInvariants();
        const candidates = [...Array(n).keys()].filter((i) => picker.peerHas(q, i));
        const picked = picker.pickRequests(q, 1, { rng: seededRng(seed) });
        picker.assertInvariants();
        if (candidates.length === 0) return assert.deepEqual(picked, []);
        const top = Math.max(...candidates.map((i) => picker.priority(i)));
        const ofTop = candidates.filter((i) => picker.priority(i) === top);
        const rarest = Math.min(...ofTop.map((i) => picker.availability(i)));
        assert.equal(picked.length, 1);
        assert.equal(picker.priority(picked[0]!.index), top, 'the highest priority the peer offers');
        assert.ok(ofTop.includes(picked[0]!.index));
        if (!randomFirst) assert.equal(picker.availability(picked[0]!.index), rarest, 'the rarest within it');
      },
    ),
    { numRuns: 500, seed: 11 },
  );
});

test('property: a simulated download always finishes with every wanted piece verified', () => {
  fc.assert(
    fc.property(
      geometry,
      fc.array(fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      fc.integer(),
      (geo, peerBits, unwanted, seed) => {
        const n = geo.pieceCount;
        const rng = seededRng(seed);
        const picker = new PiecePicker(geo);
        // Every piece is held by someone: pieces nobody has go to a random peer.
        const bits = peerBits.map((b) => b.slice(0, n));
        for (let i = 0; i < n; i++) if (!bits.some((b) => b[i])) bits[Math.floor(rng() * bits.length)]![i] = true;
        const ids = bits.map((_, j) => `peer${j}`);
        const connected = new Set<string>();
        for (let i = 0; i < n - 1; i++) if (unwanted[i]) picker.setWanted(i, false);
        const received = new Set<string>();
        let steps = 0;
        while (!picker.isComplete()) {
          assert.ok(++steps < 2000, 'the download makes progress');
          ids.forEach((id, j) => {
            if (!connected.has(id) && rng() < 0.5) {
              picker.peerBitfield(id, bitfield(bits[j]!));
              connected.add(id);
            }
          });
          for (const id of connected) picker.pickRequests(id, 1 + Math.floor(rng() * 8), { rng });
          picker.assertInvariants();
          for (const id of [...connected]) {
            for (const r of picker.outstanding(id)) {
              const roll = rng();
              if (roll < 0.6) {
                const result = picker.blockReceived(id, r);
                if (!result.accepted) continue; // cancelled earlier in this loop (endgame)
                assert.ok(!received.has(key(r)), 'each block is accepted once per piece attempt');
                received.add(key(r));
                if (result.pieceComplete) {
                  for (let b = 0; b < picker.blockCount(r.index); b++) received.delete(key(picker.layout.request(r.index, b)));
                  if (rng() < 0.2) picker.pieceFailed(r.index);
                  else picker.pieceVerified(r.index);
                }
              } else if (roll < 0.7) {
                picker.requestFailed(id, r);
              }
            }
            if (rng() < 0.05) {
              picker.peerGone(id);
              connected.delete(id);
            }
          }
          picker.assertInvariants();
        }
        for (let i = 0; i < n; i++) assert.equal(picker.have(i), picker.isWanted(i), `piece ${i}`);
      },
    ),
    { numRuns: 150, seed: 1234 },
  );
});
