import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_DIAL_BOOK_OPTIONS,
  type DialBook,
  addCandidates,
  assertDialBook,
  backoffDelay,
  dialFailed,
  dialSucceeded,
  emptyDialBook,
  freeDialSlots,
  markDialing,
  nextRetryAt,
  peerClosed,
  peerConnected,
  pickDials,
} from '../../src/policy/dial-book.js';
import { parsePeerAddress, peerKey } from '../../src/protocol/peer-address.js';

const options = DEFAULT_DIAL_BOOK_OPTIONS;

test('backoffDelay doubles from the base and stops at the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffDelay(n, options) / 1000),
    [30, 60, 120, 240, 480, 960, 1800, 1800, 1800],
  );
});

test('peerKey and parsePeerAddress agree on one spelling per address', () => {
  assert.equal(peerKey('127.0.0.1', 6881), '127.0.0.1:6881');
  assert.equal(peerKey('[::1]', 6881), '[::1]:6881');
  assert.equal(peerKey('0:0:0:0:0:0:0:1', 6881), '[::1]:6881');
  assert.equal(peerKey('Tracker.Example', 1), 'tracker.example:1');
  for (const [host, port] of [
    ['127.0.0.1', 0],
    ['127.0.0.1', 65536],
    ['0.0.0.0', 1],
    ['::', 1],
    ['1.2.3', 1],
    ['a b', 1],
  ] as const) {
    assert.equal(peerKey(host, port), undefined, `${host}:${port}`);
  }
  // The forms a socket gives (`remoteAddress:remotePort`, IPv6 unbracketed) parse to the same key.
  assert.equal(parsePeerAddress('::1:6881')?.key, '[::1]:6881');
  assert.equal(parsePeerAddress('[::1]:6881')?.key, '[::1]:6881');
  assert.equal(parsePeerAddress('::ffff:10.0.0.1:80')?.key, '10.0.0.1:80');
  assert.deepEqual(parsePeerAddress('[::1]:6881'), { host: '::1', port: 6881, key: '[::1]:6881' });
  assert.equal(parsePeerAddress('10.0.0.1:80')?.key, '10.0.0.1:80');
  assert.equal(parsePeerAddress('10.0.0.1'), undefined);
  assert.equal(parsePeerAddress('?:0'), undefined);
});

test('a failure backs the address off; success resets the failure count', () => {
  let book = addCandidates(emptyDialBook(), [{ host: '10.0.0.1', port: 1 }], 'cli', 0, options).book;
  book = markDialing(book, ['10.0.0.1:1']);
  const first = dialFailed(book, '10.0.0.1:1', 1000, options);
  assert.equal(first.retryAt, 31_000);
  assert.equal(nextRetryAt(first.book, 1000), 31_000);
  assert.deepEqual(pickDials(first.book, 30_999, 8), []);
  assert.equal(pickDials(first.book, 31_000, 8).length, 1);
  book = dialSucceeded(markDialing(first.book, ['10.0.0.1:1']), '10.0.0.1:1');
  assert.equal(book.candidates.get('10.0.0.1:1')!.failures, 0);
  assert.deepEqual(pickDials(book, 1e9, 8), [], 'connected: not dialled');
});

type Op =
  | { kind: 'add'; ids: number[] }
  | { kind: 'dial'; maxPeers: number; maxHalfOpen: number }
  | { kind: 'fail' | 'succeed' | 'close' | 'incoming'; id: number }
  | { kind: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), ids: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('dial' as const),
    maxPeers: fc.integer({ min: 1, max: 10 }),
    maxHalfOpen: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constantFrom('fail' as const, 'succeed' as const, 'close' as const, 'incoming' as const), id: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
);

const keyOf = (id: number) => `10.0.0.${id + 1}:6881`;

test('property: invariants hold and limits are respected under any sequence of events', () => {
  const small = { ...options, maxCandidates: 25, maxFailures: 3 };
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      let book: DialBook = emptyDialBook();
      let now = 0;
      for (const op of ops) {
        switch (op.kind) {
          case 'add':
            book = addCandidates(book, op.ids.map((id) => ({ host: `10.0.0.${id + 1}`, port: 6881 })), 't', now, small).book;
            break;
          case 'dial': {
            const limits = { maxPeers: op.maxPeers, maxHalfOpen: op.maxHalfOpen };
            const picks = pickDials(book, now, freeDialSlots(book, limits));
            for (const p of picks) {
              assert.ok(!p.gaveUp && p.retryAt <= now && !book.connected.has(p.key) && !book.dialing.has(p.key));
            }
            const before = book.dialing.size + book.connected.size;
            book = markDialing(book, picks.map((p) => p.key));
            if (picks.length > 0) {
              assert.ok(book.dialing.size <= op.maxHalfOpen);
              assert.ok(book.dialing.size + book.connected.size <= Math.max(op.maxPeers, before));
            }
            break;
          }
          case 'fail':
            if (book.dialing.has(keyOf(op.id))) {
              const verdict = dialFailed(book, keyOf(op.id), now, small);
              book = verdict.book;
              if (!verdict.gaveUp) assert.ok(verdict.retryAt! > now);
            }
            break;
          case 'succeed':
            if (book.dialing.has(keyOf(op.id))) book = dialSucceeded(book, keyOf(op.id));
            break;
          case 'close':
            book = peerClosed(book, keyOf(op.id), now, op.id % 2 === 0, small);
            break;
          case 'incoming':
            if (!book.dialing.has(keyOf(op.id))) book = peerConnected(book, keyOf(op.id));
            break;
          case 'tick':
            now += op.ms;
            break;
        }
        assertDialBook(book, small);
        const at = nextRetryAt(book, now);
        if (at !== undefined) assert.ok(at > now);
      }
    }),
    { numRuns: 300, seed: 20240603 },
  );
});
