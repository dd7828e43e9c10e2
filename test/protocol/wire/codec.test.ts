import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  encodePieceHeader,
  MessageId,
  MESSAGE_ID_OF,
  PIECE_HEADER_BYTES,
  type PeerMessage,
  WireError,
} from '../../../src/protocol/wire/index.js';
import { messageArb, messageArbs } from './arbitraries.js';

function assertWireError(fn: () => unknown, code: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `expected WireError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const body = (id: number, payloadLength: number) => Buffer.concat([Buffer.from([id]), Buffer.alloc(payloadLength, 0xab)]);

for (const [type, arb] of Object.entries(messageArbs)) {
  test(`round-trip: ${type}`, () => {
    fc.assert(
      fc.property(arb as fc.Arbitrary<PeerMessage>, (msg) => {
        const frame = encodeMessage(msg);
        assert.equal(frame.readUInt32BE(0), frame.length - 4, 'length prefix counts the body');
        if (msg.type !== 'keep-alive') assert.equal(frame[4], MESSAGE_ID_OF[msg.type]);
        assert.deepStrictEqual(decodeMessage(frame.subarray(4)), msg);
      }),
      { numRuns: 200 },
    );
  });
}

test('encodes the exact bytes of BEP 3 / BEP 6 / BEP 10 examples', () => {
  const hex = (m: PeerMessage) => encodeMessage(m).toString('hex');
  assert.equal(hex({ type: 'keep-alive' }), '00000000');
  assert.equal(hex({ type: 'interested' }), '0000000102');
  assert.equal(hex({ type: 'have', index: 0x01020304 }), '000000050401020304');
  assert.equal(hex({ type: 'request', index: 1, begin: 0x4000, length: 0x4000 }), '0000000d06000000010000400000004000');
  assert.equal(hex({ type: 'port', port: 6881 }), '00000003091ae1');
  assert.equal(hex({ type: 'have-all' }), '000000010e');
  assert.equal(hex({ type: 'have-none' }), '000000010f');
  assert.equal(hex({ type: 'reject', index: 2, begin: 0, length: 16384 }), '0000000d10000000020000000000004000');
  assert.equal(hex({ type: 'allowed-fast', index: 7 }), '000000051100000007');
  assert.equal(hex({ type: 'suggest', index: 7 }), '000000050d00000007');
  assert.equal(hex({ type: 'extended', id: 0, payload: Buffer.from('de') }), '000000041400' + '6465');
});

test('encodePieceHeader + block is byte-identical to encodeMessage(piece)', () => {
  fc.assert(
    fc.property(messageArbs.piece, (msg) => {
      const header = encodePieceHeader(msg.index, msg.begin, msg.block.length);
      assert.equal(header.length, PIECE_HEADER_BYTES);
      assert.deepStrictEqual(Buffer.concat([header, msg.block]), encodeMessage(msg));
    }),
    { numRuns: 200 },
  );
});

test('every message type has an arbitrary and a distinct wire id', () => {
  const types = Object.keys(MESSAGE_ID_OF);
  assert.deepEqual(new Set(Object.keys(messageArbs)), new Set([...types, 'keep-alive']));
  assert.equal(new Set(Object.values(MESSAGE_ID_OF)).size, types.length);
});

test('decoded pieces and extended payloads are views of the frame body, not copies', () => {
  const frame = encodeMessage({ type: 'piece', index: 1, begin: 2, block: Buffer.from('hello') });
  const msg = decodeMessage(frame.subarray(4));
  assert.equal(msg.type, 'piece');
  if (msg.type !== 'piece') return;
  assert.equal(msg.block.buffer, frame.buffer);
  assert.equal(msg.block.byteOffset, frame.byteOffset + PIECE_HEADER_BYTES);
});

test('decodeMessage accepts a plain Uint8Array', () => {
  const frame = encodeMessage({ type: 'cancel', index: 9, begin: 8, length: 7 });
  assert.deepEqual(decodeMessage(new Uint8Array(frame.subarray(4))), { type: 'cancel', index: 9, begin: 8, length: 7 });
});

test('per-message length checks: fixed-size messages must be exactly their size', () => {
  const exact: Array<[number, number]> = [
    [MessageId.Choke, 1],
    [MessageId.Unchoke, 1],
    [MessageId.Interested, 1],
    [MessageId.NotInterested, 1],
    [MessageId.HaveAll, 1],
    [MessageId.HaveNone, 1],
    [MessageId.Have, 5],
    [MessageId.Suggest, 5],
    [MessageId.AllowedFast, 5],
    [MessageId.Request, 13],
    [MessageId.Cancel, 13],
    [MessageId.Reject, 13],
    [MessageId.Port, 3],
  ];
  for (const [id, size] of exact) {
    decodeMessage(body(id, size - 1));
    assertWireError(() => decodeMessage(body(id, size)), 'invalid-length');
    assertWireError(() => decodeMessage(body(id, size - 2 < 0 ? 1000 : size - 2)), 'invalid-length');
  }
});

test('per-message length checks: piece ≥ 9, extended ≥ 2, bitfield ≥ 1', () => {
  assertWireError(() => decodeMessage(body(MessageId.Piece, 7)), 'invalid-length');
  assert.deepEqual(decodeMessage(body(MessageId.Piece, 8)), {
    type: 'piece',
    index: 0xabababab,
    begin: 0xabababab,
    block: Buffer.alloc(0),
  });
  assertWireError(() => decodeMessage(body(MessageId.Extended, 0)), 'invalid-length');
  assert.deepEqual(decodeMessage(body(MessageId.Extended, 1)), { type: 'extended', id: 0xab, payload: Buffer.alloc(0) });
  assert.deepEqual(decodeMessage(body(MessageId.Bitfield, 0)), { type: 'bitfield', bitfield: Buffer.alloc(0) });
});

test('unknown message ids are a typed error', () => {
  const known = new Set<number>(Object.values(MessageId));
  for (let id = 0; id < 256; id++) {
    if (known.has(id)) continue;
    assertWireError(() => decodeMessage(body(id, 4)), 'unknown-message');
  }
});

test('decodeMessage applies the maximum message length too', () => {
  const have = encodeMessage({ type: 'have', index: 1 }).subarray(4);
  assert.deepEqual(decodeMessage(have, { maxMessageLength: 5 }), { type: 'have', index: 1 });
  assertWireError(() => decodeMessage(have, { maxMessageLength: 4 }), 'message-too-long');
  assertWireError(() => decodeMessage(body(MessageId.Bitfield, 1024 * 1024)), 'message-too-long');
  assert.equal(decodeMessage(body(MessageId.Bitfield, 1024 * 1024 - 1)).type, 'bitfield');
});

test('an empty frame body is a keep-alive', () => {
  assert.deepEqual(decodeMessage(Buffer.alloc(0)), { type: 'keep-alive' });
});

test('encoding out-of-range numbers is a RangeError (our bug), not a WireError', () => {
  assert.throws(() => encodeMessage({ type: 'have', index: -1 }), RangeError);
  assert.throws(() => encodeMessage({ type: 'have', index: 2 ** 32 }), RangeError);
  assert.throws(() => encodeMessage({ type: 'request', index: 0, begin: 1.5, length: 1 }), RangeError);
  assert.throws(() => encodeMessage({ type: 'port', port: 65536 }), RangeError);
  assert.throws(() => encodeMessage({ type: 'extended', id: 256, payload: Buffer.alloc(0) }), RangeError);
});

test('messageArb covers all types', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(messageArb, (m) => void seen.add(m.type)), { numRuns: 500, seed: 1 });
  assert.equal(seen.size, Object.keys(messageArbs).length);
});
