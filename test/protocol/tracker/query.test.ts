import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendQuery, parseQuery, percentDecode, percentEncode, TrackerError } from '../../../src/protocol/tracker/index.js';

test('every one of the 256 byte values survives percent-encoding and decoding', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const encoded = percentEncode(all);
  assert.match(encoded, /^[A-Za-z0-9\-._~%]*$/);
  assert.deepEqual(percentDecode(encoded), all);
  for (let b = 0; b < 256; b++) {
    const one = Buffer.from([b]);
    const text = percentEncode(one);
    const unreserved = /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b));
    assert.equal(text, unreserved ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`);
    assert.deepEqual(percentDecode(text), one);
    // Lowercase escapes and literal latin1 characters (a raw request line) decode to the same byte.
    if (!unreserved) assert.deepEqual(percentDecode(text.toLowerCase()), one);
    if (b !== 0x25 && b !== 0x26) assert.deepEqual(percentDecode(String.fromCharCode(b)), one);
  }
});

test('percent-encoding round-trips arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(percentDecode(percentEncode(bytes)), Buffer.from(bytes));
    }),
    { numRuns: 1000 },
  );
});

test('strings are encoded as UTF-8; + stays a plus', () => {
  assert.equal(percentEncode('a b/é'), 'a%20b%2F%C3%A9');
  assert.deepEqual(percentDecode('a+b'), Buffer.from('a+b'));
});

test('broken escapes are typed errors', () => {
  for (const bad of ['%', '%4', '%G0', 'ab%x1', '%%41', '\u0100']) {
    assert.throws(() => percentDecode(bad), (e) => e instanceof TrackerError && e.code === 'invalid-percent-encoding', bad);
  }
});

test('parseQuery splits pairs, keeps order and repeated names', () => {
  assert.deepEqual(parseQuery('?a=1&&b=%41&a=&flag'), [
    { name: 'a', value: Buffer.from('1') },
    { name: 'b', value: Buffer.from('A') },
    { name: 'a', value: Buffer.alloc(0) },
    { name: 'flag', value: Buffer.alloc(0) },
  ]);
});

test('appendQuery handles existing queries and fragments', () => {
  assert.equal(appendQuery('http://t/a', 'x=1'), 'http://t/a?x=1');
  assert.equal(appendQuery('http://t/a?pk=abc', 'x=1'), 'http://t/a?pk=abc&x=1');
  assert.equal(appendQuery('http://t/a?', 'x=1'), 'http://t/a?x=1');
  assert.equal(appendQuery('http://t/a?pk=1&', 'x=1'), 'http://t/a?pk=1&x=1');
  assert.equal(appendQuery('http://t/a?pk=1#frag', 'x=1'), 'http://t/a?pk=1&x=1');
  assert.equal(appendQuery('http://t/a#f?g', 'x=1'), 'http://t/a?x=1');
});
