import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import bencodePackage from 'bencode';
import {
  BencodeError,
  type BValue,
  decode,
  decodeDocument,
  decodePrefix,
  encode,
  isBDict,
} from '../../src/protocol/bencode/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function assertBencodeError(input: string, code: string, offset?: number, mode: 'strict' | 'lenient' = 'strict') {
  assert.throws(
    () => decode(b(input), { mode }),
    (err: unknown) => {
      assert.ok(err instanceof BencodeError, `expected BencodeError, got ${String(err)}`);
      assert.equal(err.code, code, `${JSON.stringify(input)}: ${err.message}`);
      if (offset !== undefined) assert.equal(err.offset, offset, err.message);
      assert.match(err.message, /at byte \d+/);
      return true;
    },
  );
}

test('decodes every kind of value', () => {
  assert.equal(decode(b('i42e')), 42);
  assert.equal(decode(b('i-42e')), -42);
  assert.equal(decode(b('i0e')), 0);
  assert.deepEqual(decode(b('4:spam')), b('spam'));
  assert.deepEqual(decode(b('0:')), b(''));
  assert.deepEqual(decode(b('l4:spami3ee')), [b('spam'), 3]);
  const d = decode(b('d3:cow3:moo4:spaml1:a1:bee'));
  assert.ok(isBDict(d));
  assert.deepEqual(d['cow'], b('moo'));
  assert.deepEqual(d['spam'], [b('a'), b('b')]);
});

test('integers beyond the safe range decode as bigint up to int64, and fail beyond', () => {
  assert.equal(decode(b('i9007199254740991e')), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(b('i9007199254740992e')), 9007199254740992n);
  assert.equal(decode(b('i-9223372036854775808e')), -9223372036854775808n);
  assert.equal(decode(b('i9223372036854775807e')), 9223372036854775807n);
  assertBencodeError('i9223372036854775808e', 'integer-overflow', 0);
  assertBencodeError('i99999999999999999999999999999999e', 'integer-overflow', 0);
  // 16 digits but still safe: must come back as a number, not a bigint.
  assert.equal(decode(b('i1000000000000000e')), 1e15);
});

test('strict mode rejects every non-canonical or malformed form with its offset', () => {
  assertBencodeError('i01e', 'leading-zero', 1);
  assertBencodeError('i-01e', 'leading-zero', 2);
  assertBencodeError('i00e', 'leading-zero', 1);
  assertBencodeError('03:abc', 'leading-zero', 0);
  assertBencodeError('i-0e', 'negative-zero', 0);
  assertBencodeError('i+1e', 'invalid-integer', 1);
  assertBencodeError('ie', 'invalid-integer', 1);
  assertBencodeError('i-e', 'invalid-integer', 2);
  assertBencodeError('i1x2e', 'invalid-integer', 2);
  assertBencodeError('i12', 'unexpected-end', 3);
  assertBencodeError('5:abc', 'unexpected-end');
  assertBencodeError('3abc', 'invalid-length', 1);
  assertBencodeError('-3:abc', 'unexpected-byte', 0);
  assertBencodeError('l4:spam', 'unexpected-end', 7);
  assertBencodeError('d3:cow3:moo', 'unexpected-end', 11);
  assertBencodeError('d3:cowe', 'unexpected-byte', 6);
  assertBencodeError('di1e3:mooe', 'unexpected-byte', 1);
  assertBencodeError('i1ei2e', 'trailing-bytes', 3);
  assertBencodeError('de\n', 'trailing-bytes', 2);
  assertBencodeError('d1:b0:1:a0:e', 'unsorted-keys', 6);
  assertBencodeError('d1:a0:1:a0:e', 'duplicate-key', 6);
  assertBencodeError('', 'unexpected-end', 0);
  assertBencodeError('x', 'unexpected-byte', 0);
  assertBencodeError('99999999999999999999:a', 'unexpected-end');
});

test('nesting deeper than the limit is refused, at the limit it is fine', () => {
  const nested = (n: number) => 'l'.repeat(n) + 'e'.repeat(n);
  assert.ok(Array.isArray(decode(b(nested(100)))));
  assertBencodeError(nested(101), 'depth-exceeded', 100);
  assert.throws(() => decode(b(nested(5)), { maxDepth: 4 }), (e: unknown) => e instanceof BencodeError && e.code === 'depth-exceeded');
  // A million opening brackets must fail fast, not overflow the stack.
  assertBencodeError('d1:a'.repeat(200_000), 'depth-exceeded');
});

test('lenient mode tolerates what real .torrent files contain, with warnings', () => {
  const doc = decodeDocument(b('d1:bi01e1:ai2ee\n'), { mode: 'lenient' });
  assert.ok(isBDict(doc.value));
  assert.equal(doc.value['b'], 1);
  assert.equal(doc.value['a'], 2);
  assert.deepEqual(
    doc.warnings.map((w) => w.code),
    ['leading-zero', 'unsorted-keys', 'trailing-bytes'],
  );
  // Still errors in lenient mode:
  assertBencodeError('d1:a0:1:a0:e', 'duplicate-key', undefined, 'lenient');
  assertBencodeError('d1:b0:1:a0:1:b0:e', 'duplicate-key', undefined, 'lenient');
  assertBencodeError('03:abc', 'leading-zero', undefined, 'lenient');
  assertBencodeError('i-0e', 'negative-zero', undefined, 'lenient');
  assertBencodeError('l1:a', 'unexpected-end', undefined, 'lenient');
  assertBencodeError('i99999999999999999999e', 'integer-overflow', undefined, 'lenient');
});

test('keys such as __proto__ never reach a prototype', () => {
  const d = decode(b('d9:__proto__d8:pollutedi1ee11:constructori2ee'));
  assert.ok(isBDict(d));
  assert.equal(Object.getPrototypeOf(d), null);
  assert.ok(isBDict(d['__proto__']));
  assert.equal(d['constructor'], 2);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.deepEqual(encode(d), b('d9:__proto__d8:pollutedi1ee11:constructori2ee'));
});

test('binary dictionary keys survive decode and encode byte for byte', () => {
  const key = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0x20]);
  const bytes = Buffer.concat([b('d5:'), key, b('i1ee')]);
  const d = decode(bytes);
  assert.ok(isBDict(d));
  assert.deepEqual(Object.keys(d).map((k) => Buffer.from(k, 'latin1')), [key]);
  assert.deepEqual(encode(d), bytes);
});

test('spans record the exact original bytes of a container', () => {
  const input = b('d4:infod6:lengthi01e4:name1:xe5:otheri1ee');
  const doc = decodeDocument(input, { mode: 'lenient', recordSpans: true });
  assert.ok(isBDict(doc.value));
  const info = doc.value['info'];
  assert.ok(isBDict(info));
  const span = doc.span(info);
  assert.deepEqual(span, [7, 30]);
  // The original bytes keep the non-canonical `i01e`; re-encoding would not.
  assert.equal(input.subarray(...span!).toString('latin1'), 'd6:lengthi01e4:name1:xe');
  assert.notDeepEqual(encode(info), input.subarray(...span!));
  assert.equal(decodeDocument(input, { mode: 'lenient' }).span(info), undefined);
});

test('decodePrefix stops after one value (BEP 9 metadata pieces carry data after the dict)', () => {
  const input = b('d8:msg_typei1e5:piecei0eeRAWDATA');
  const { value, end } = decodePrefix(input);
  assert.ok(isBDict(value));
  assert.equal(value['piece'], 0);
  assert.equal(input.subarray(end).toString(), 'RAWDATA');
});

test('encode writes canonical bencode', () => {
  assert.equal(encode({ spam: ['a', 1], cow: 'moo', skipped: undefined }).toString(), 'd3:cow3:moo4:spaml1:ai1eee');
  assert.equal(encode(-7).toString(), 'i-7e');
  assert.equal(encode(2n ** 60n).toString(), 'i1152921504606846976e');
  assert.equal(encode('ü').toString('latin1'), '2:\xc3\xbc');
  assert.throws(() => encode(1.5), /not a safe integer/);
  assert.throws(() => encode({ 'ü€': 1 }), /not a latin1 byte string/);
});

// Arbitrary bencode values with binary keys and strings.
const keyArb = fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString('latin1'));
const { value: valueArb } = fc.letrec<{ value: BValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5 }).map((o) => Object.assign(Object.create(null), o) as BValue),
  ),
}));

test('property: decode(encode(v)) equals v and encode(decode(bytes)) equals bytes', () => {
  fc.assert(
    fc.property(valueArb, (v) => {
      const bytes = encode(v as never);
      const back = decode(bytes);
      assert.deepEqual(back, v);
      assert.deepEqual(encode(back as never), bytes);
    }),
    { numRuns: 2000, seed: 7 },
  );
});

test('property: our encoder agrees with the bencode package where its behaviour is defined (ASCII keys, safe ints)', () => {
  const asciiValue = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.integer(),
      fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: fc.constantFrom(...'abcdefgh_ -'.split('')), maxLength: 6 }), tie('v'), { maxKeys: 4 }),
    ),
  })).v;
  fc.assert(
    fc.property(asciiValue, (v) => {
      const ours = encode(v as never);
      const theirs = Buffer.from(bencodePackage.encode(v));
      assert.deepEqual(ours, theirs);
    }),
    { numRuns: 1000, seed: 11 },
  );
});
