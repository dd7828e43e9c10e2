import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TraceRecord } from '../../src/trace/format.js';
import { InvariantChecker, type Violation, piecesOfHex } from '../../src/trace/invariants.js';

type Step = ['in' | 'out', Record<string, unknown>] | ['closed'] | ['at', number];

const FAST = { extensionProtocol: false, fastExtension: true, dht: false };
const SLOW = { extensionProtocol: false, fastExtension: false, dht: false };
const hs = (dir: 'in' | 'out', flags = SLOW): Step => [dir, { type: dir === 'in' ? 'handshake' : 'handshake-sent', flags }];
const req = (index: number, begin = 0, length = 16384) => ({ type: 'request', index, begin, length });
const piece = (index: number, begin = 0, length = 16384) => ({ type: 'piece', index, begin, block: { length, sha1: '0'.repeat(40) } });

/** Feeds the steps as one connection's records (lines from 2) and returns the first violation. */
function run(steps: Step[], options = { pipelineDepth: 4, requestTimeoutMs: 30_000 }): Violation | undefined {
  const checker = new InvariantChecker(options);
  let t = 0;
  let line = 2;
  for (const step of steps) {
    if (step[0] === 'at') {
      t = step[1];
      continue;
    }
    const record: TraceRecord =
      step[0] === 'closed'
        ? { t, seq: line, node: 'n', kind: 'closed', peer: 'p#1', dir: null, msg: { reason: 'x' } }
        : { t, seq: line, node: 'n', kind: 'wire', peer: 'p#1', dir: step[0], msg: step[1] };
    const violation = checker.feed(record, line++);
    if (violation) return violation;
  }
  return undefined;
}

const unchokedSeeder: Step[] = [hs('out'), hs('in'), ['in', { type: 'have-all' }], ['out', { type: 'interested' }], ['in', { type: 'unchoke' }]];

test('a well-behaved download and upload break nothing', () => {
  assert.equal(run([...unchokedSeeder, ['out', req(0)], ['out', req(0, 16384)], ['in', piece(0)], ['in', piece(0, 16384)], ['out', { type: 'have', index: 0 }]]), undefined);
  assert.equal(
    run([hs('out'), hs('in'), ['in', { type: 'interested' }], ['out', { type: 'unchoke' }], ['in', req(1)], ['out', piece(1)], ['in', req(2)], ['in', { type: 'cancel', index: 2, begin: 0, length: 16384 }], ['out', piece(2)]]),
    undefined,
  );
});

test('request-unannounced: a request for a piece the peer never announced', () => {
  const v = run([hs('out'), hs('in'), ['in', { type: 'bitfield', bitfield: 'a0' }], ['in', { type: 'unchoke' }], ['out', req(0)], ['in', { type: 'have', index: 3 }], ['out', req(3)], ['out', req(1)]]);
  assert.equal(v?.invariant, 'request-unannounced');
  assert.equal(v?.line, 9);
  assert.match(v!.message, /piece 1/);
});

test('request-while-choked: requests before the unchoke or after a choke; allowed-fast pieces excepted with BEP 6', () => {
  const base: Step[] = [['in', { type: 'have-all' }]];
  assert.equal(run([hs('out'), hs('in'), ...base, ['out', req(0)]])?.invariant, 'request-while-choked');
  assert.equal(run([hs('out'), hs('in'), ...base, ['in', { type: 'unchoke' }], ['out', req(0)], ['in', { type: 'choke' }], ['out', req(1)]])?.line, 8);
  assert.equal(run([hs('out', FAST), hs('in', FAST), ...base, ['in', { type: 'allowed-fast', index: 5 }], ['out', req(5)]]), undefined);
  // Allowed fast means nothing without the fast extension on both sides.
  assert.equal(run([hs('out', FAST), hs('in'), ...base, ['in', { type: 'allowed-fast', index: 5 }], ['out', req(5)]])?.invariant, 'request-while-choked');
});

test('pipeline-depth: more requests outstanding than the depth; answered, rejected, cancelled, dropped by a choke or timed out ones do not count', () => {
  const five = [0, 1, 2, 3, 4].map((i): Step => ['out', req(i)]);
  const v = run([...unchokedSeeder, ...five]);
  assert.equal(v?.invariant, 'pipeline-depth');
  assert.match(v!.message, /5 requests outstanding, more than the pipeline depth of 4/);
  assert.equal(run([...unchokedSeeder, ...five.slice(0, 4), ['in', piece(0)], five[4]!]), undefined);
  assert.equal(run([...unchokedSeeder, ...five.slice(0, 4), ['out', { type: 'cancel', index: 1, begin: 0, length: 16384 }], five[4]!]), undefined);
  assert.equal(run([...unchokedSeeder, ...five.slice(0, 4), ['in', { type: 'choke' }], ['in', { type: 'unchoke' }], five[4]!]), undefined);
  assert.equal(run([...unchokedSeeder, ...five.slice(0, 4), ['at', 30_000], five[4]!]), undefined);
  // A fast peer's choke does not drop our requests: they wait for their rejects.
  const fastSeeder: Step[] = [hs('out', FAST), hs('in', FAST), ...unchokedSeeder.slice(2)];
  assert.equal(run([...fastSeeder, ...five.slice(0, 4), ['in', { type: 'choke' }], ['in', { type: 'unchoke' }], five[4]!])?.invariant, 'pipeline-depth');
  assert.equal(run([...fastSeeder, ...five.slice(0, 4), ['in', { type: 'reject', index: 0, begin: 0, length: 16384 }], five[4]!]), undefined);
});

test('block-while-choking: a block sent to a peer we choke, unless we allowed it that piece fast', () => {
  const v = run([hs('out'), hs('in'), ['in', req(1)], ['out', piece(1)]]);
  assert.equal(v?.invariant, 'block-while-choking');
  assert.equal(v?.line, 5);
  assert.equal(run([hs('out'), hs('in'), ['out', { type: 'unchoke' }], ['in', req(1)], ['out', { type: 'choke' }], ['out', piece(1)]])?.invariant, 'block-while-choking');
  assert.equal(run([hs('out', FAST), hs('in', FAST), ['out', { type: 'allowed-fast', index: 1 }], ['in', req(1)], ['out', piece(1)]]), undefined);
});

test('unrequested-block: a block nobody asked for', () => {
  const v = run([hs('out'), hs('in'), ['out', { type: 'unchoke' }], ['in', req(1)], ['out', piece(1)], ['out', piece(1)]]);
  assert.equal(v?.invariant, 'unrequested-block');
  assert.equal(v?.line, 7);
  assert.equal(run([hs('out'), hs('in'), ['out', { type: 'unchoke' }], ['in', req(1, 0, 100)], ['out', piece(1, 0, 200)]])?.invariant, 'unrequested-block');
});

test('unanswered-request: with BEP 6 a request accepted before our choke must be served or rejected before we unchoke again', () => {
  const start: Step[] = [hs('out', FAST), hs('in', FAST), ['out', { type: 'unchoke' }], ['in', req(1)], ['in', req(2)], ['out', { type: 'choke' }]];
  const v = run([...start, ['out', { type: 'reject', index: 1, begin: 0, length: 16384 }], ['out', { type: 'unchoke' }]]);
  assert.equal(v?.invariant, 'unanswered-request');
  assert.match(v!.message, /2\/0\/16384/);
  assert.equal(run([...start, ['out', { type: 'reject', index: 1, begin: 0, length: 16384 }], ['out', { type: 'reject', index: 2, begin: 0, length: 16384 }], ['out', { type: 'unchoke' }]]), undefined);
  // Without the fast extension our choke drops them; a closed connection owes nothing.
  assert.equal(run([hs('out'), hs('in'), ['out', { type: 'unchoke' }], ['in', req(1)], ['out', { type: 'choke' }], ['out', { type: 'unchoke' }]]), undefined);
  assert.equal(run([...start, ['closed'], hs('out', FAST), hs('in', FAST), ['out', { type: 'unchoke' }]]), undefined);
});

test('bitfields in hex: piece 0 is the high bit of the first byte', () => {
  assert.deepEqual([...piecesOfHex('8001')], [0, 15]);
  assert.deepEqual([...piecesOfHex('')], []);
});
