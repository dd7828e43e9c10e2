import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GONE, NO_MORE, PeerIndex, finishHash, mixHash } from '../../src/tracker/peer-index.js';

/** A slot's key is a number here; `hashOf` may be made to collide on purpose. */
function harness(hashOf: (key: number) => number) {
  const index = new PeerIndex(12345);
  const keyOf = new Map<number, number>(); // slot → key
  const every = (add: (slot: number, hash: number) => void, adding: number) => {
    for (const [slot, key] of keyOf) if (slot !== adding) add(slot, hashOf(key));
  };
  const find = (key: number): number => {
    for (let b = index.start(hashOf(key)); ; b = index.next(b)) {
      const slot = index.entry(b);
      if (slot === NO_MORE) return -1;
      if (slot !== GONE && keyOf.get(slot) === key) return slot;
    }
  };
  return {
    index,
    find,
    insert(slot: number, key: number) {
      keyOf.set(slot, key);
      index.insert(slot, hashOf(key), every);
    },
    remove(slot: number) {
      index.remove(slot, hashOf(keyOf.get(slot)!));
      keyOf.delete(slot);
    },
  };
}

const seeded = (key: number) => finishHash(mixHash(99, key));

test('finds every slot inserted, through growth, and none removed', () => {
  const h = harness(seeded);
  for (let slot = 0; slot < 5000; slot++) h.insert(slot, slot * 7);
  for (let slot = 0; slot < 5000; slot += 2) h.remove(slot);
  for (let slot = 0; slot < 5000; slot++) assert.equal(h.find(slot * 7), slot % 2 ? slot : -1, `key ${slot * 7}`);
});

test('the table stays at most half full, and is sized to what it holds: 50,000 slots in 131,072 buckets', () => {
  const h = harness(seeded);
  for (let slot = 0; slot < 50_000; slot++) {
    h.insert(slot, slot * 7);
    assert.ok(2 * (slot + 1) <= h.index.buckets, `${slot + 1} slots in ${h.index.buckets} buckets`);
  }
  assert.equal(h.index.buckets, 131_072);
  // Removals leave tombstones; rebuilding for them keeps the size while the live slots fit.
  for (let slot = 0; slot < 50_000; slot += 2) h.remove(slot);
  for (let slot = 50_000; slot < 80_000; slot++) h.insert(slot, slot * 7);
  assert.equal(h.index.buckets, 131_072);
  for (let slot = 0; slot < 80_000; slot++) assert.equal(h.find(slot * 7), slot < 50_000 && slot % 2 === 0 ? -1 : slot);
});

test('keys that all hash alike are still told apart, and removals in the middle of a run keep the rest findable', () => {
  const h = harness(() => 42);
  for (let slot = 0; slot < 300; slot++) h.insert(slot, slot);
  for (let slot = 0; slot < 300; slot += 3) h.remove(slot);
  for (let slot = 0; slot < 300; slot++) assert.equal(h.find(slot), slot % 3 ? slot : -1);
});

test('churn leaves no stale tombstones behind: a long insert/remove cycle keeps working at a bounded size', () => {
  const h = harness(seeded);
  for (let i = 0; i < 100_000; i++) {
    h.insert(i % 64, i);
    assert.equal(h.find(i), i % 64);
    h.remove(i % 64);
  }
  assert.equal(h.find(99_999), -1);
});

test('property: agrees with a Map through any sequence of inserts and removes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 400 }), fc.integer({ min: 1, max: 8 }), (ops, buckets) => {
      // Few distinct hashes: long probe runs, many collisions.
      const h = harness((key) => key % buckets);
      const model = new Map<number, number>(); // key → slot
      let nextSlot = 0;
      for (const [add, key] of ops) {
        if (add && !model.has(key)) {
          h.insert(nextSlot, key);
          model.set(key, nextSlot++);
        } else if (!add && model.has(key)) {
          h.remove(model.get(key)!);
          model.delete(key);
        }
        for (let k = 0; k <= 40; k++) assert.equal(h.find(k), model.get(k) ?? -1);
      }
    }),
    { numRuns: 200, seed: 5 },
  );
});

test('the hash is keyed: two seeds spread the same keys differently', () => {
  const a = new PeerIndex(1);
  const b = new PeerIndex(2);
  const hashes = (seed: number) => [1, 2, 3, 4].map((k) => finishHash(mixHash(seed, k)));
  assert.notDeepEqual(hashes(a.seed), hashes(b.seed));
});
