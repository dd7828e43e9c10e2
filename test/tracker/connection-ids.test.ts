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

test('ids come out of the cache as they went in: past its cap, across windows, by bytes and by text alike', () => {
  const ids = new ConnectionIds(secret, { cacheSize: 8 });
  const uncached = new ConnectionIds(secret, { cacheSize: 1 });
  const now = 7_000_000;
  const addresses = Array.from({ length: 40 }, (_, i) => `198.51.100.${i}`).concat(['2001:db8::7', '::ffff:203.0.113.9']);
  const issued = addresses.map((a) => ids.issue(a, now));
  // Many more addresses than the cache holds, verified in another order, some a window later.
  for (const [i, a] of [...addresses.entries()].reverse()) {
    assert.ok(ids.verify(issued[i]!, a, now + (i % 3) * 30_000), a);
    assert.equal(uncached.issue(a, now), issued[i], `${a}: the same id without the cache`);
    assert.ok(!ids.verify(issued[i]! ^ 1n, a, now), `${a}: one bit off`);
  }
  // The mapped IPv4 address is the plain one.
  assert.equal(ids.issue('203.0.113.9', now), issued.at(-1));
  // verifyAt reads the id from a packet, the address as bytes.
  const packet = Buffer.alloc(16);
  packet.writeBigUInt64BE(issued[5]!, 0);
  assert.ok(ids.verifyAt(packet, 0, Uint8Array.from([198, 51, 100, 5]), 4, now));
  assert.ok(!ids.verifyAt(packet, 0, Uint8Array.from([198, 51, 100, 6]), 4, now));
  assert.ok(!ids.verifyAt(packet, 0, Uint8Array.from([198, 51, 100, 5]), 4, now + 120_000));
});
