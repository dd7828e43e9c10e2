import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConnectionIds } from '../../src/tracker/connection-ids.js';

const secret = Buffer.alloc(32, 7);
const ADDRESS = '203.0.113.5';

test('an id works for the address it was issued to, for 90 to 120 s, never after', () => {
  const ids = new ConnectionIds(secret);
  for (const issuedAt of [1_000_000, 1_000_000 + 29_999, 1_000_000 + 15_000]) {
    const id = ids.issue(ADDRESS, issuedAt);
    assert.ok(ids.verify(id, ADDRESS, issuedAt));
    assert.ok(ids.verify(id, ADDRESS, issuedAt + 60_000), 'BEP 15 clients use an id for a minute');
    assert.ok(ids.verify(id, ADDRESS, issuedAt + 89_999));
    assert.ok(!ids.verify(id, ADDRESS, issuedAt + 120_000), 'expired after 2 minutes');
    assert.ok(!ids.verify(id, ADDRESS, issuedAt + 10 * 60_000));
  }
});

test('an id is bound to the address and to the secret', () => {
  const now = 5_000_000;
  const ids = new ConnectionIds(secret);
  const id = ids.issue(ADDRESS, now);
  assert.ok(!ids.verify(id, '203.0.113.6', now));
  assert.ok(!ids.verify(id, '2001:db8::5', now));
  assert.ok(!new ConnectionIds(Buffer.alloc(32, 8)).verify(id, ADDRESS, now));
  assert.notEqual(new ConnectionIds(Buffer.alloc(32, 8)).issue(ADDRESS, now), id);
  assert.notEqual(ids.issue('203.0.113.6', now), id);
});

test('ids are not guessable: random ids and the BEP 15 protocol id are refused', () => {
  const ids = new ConnectionIds(secret);
  const now = 9_000_000;
  assert.ok(!ids.verify(0x41727101980n, ADDRESS, now));
  assert.ok(!ids.verify(0n, ADDRESS, now));
  assert.ok(!ids.verify(-1n, ADDRESS, now));
  assert.ok(!ids.verify(1n << 64n, ADDRESS, now));
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (id) => !ids.verify(id, ADDRESS, now)),
    { numRuns: 2000, seed: 3 },
  );
});

test('a short secret is refused', () => {
  assert.throws(() => new ConnectionIds(Buffer.alloc(8)), RangeError);
});
