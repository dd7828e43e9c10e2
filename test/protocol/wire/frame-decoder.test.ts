import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_MAX_MESSAGE_LENGTH,
  encodeHandshake,
  encodeMessage,
  FrameDecoder,
  type PeerMessage,
  WireError,
  type WireMessage,
} from '../../../src/protocol/wire/index.js';
import { handshakeArb, messageArb, splitAt } from './arbitraries.js';

function assertWireError(fn: () => unknown, code: string): WireError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    return err instanceof WireError && err.code === code;
  });
  return caught as WireError;
}

function pushAll(decoder: FrameDecoder, chunks: Buffer[]): WireMessage[] {
  return chunks.flatMap((c) => decoder.push(c));
}

const header = (length: number, id?: number) => {
  const b = Buffer.alloc(id === undefined ? 4 : 5);
  b.writeUInt32BE(length);
  if (id !== undefined) b[4] = id;
  return b;
};

test('chunk-split property: any split of a stream of random messages decodes to the same messages', () => {
  fc.assert(
    fc.property(
      fc.array(messageArb, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (messages, cuts) => {
        const stream = Buffer.concat(messages.map(encodeMessage));
        const chunks = splitAt(stream, cuts.map((c) => (stream.length ? c % (stream.length + 1) : 0)));
        const decoder = new FrameDecoder();
        assert.deepStrictEqual(pushAll(decoder, chunks), messages);
        assert.equal(decoder.bufferedBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('chunk-split property with a leading handshake', () => {
  fc.assert(
    fc.property(handshakeArb, fc.array(messageArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (h, messages, cuts) => {
      const stream = Buffer.concat([encodeHandshake(h), ...messages.map(encodeMessage)]);
      const chunks = splitAt(stream, cuts.map((c) => c % (stream.length + 1)));
      const [first, ...rest] = pushAll(new FrameDecoder({ expectHandshake: true }), chunks);
      assert.ok(first?.type === 'handshake');
      assert.deepEqual([first.reserved, first.infoHash, first.peerId], [h.reserved, h.infoHash, h.peerId]);
      assert.deepStrictEqual(rest, messages);
    }),
    { numRuns: 200 },
  );
});

test('one byte at a time, and everything in one chunk', () => {
  const messages: PeerMessage[] = [
    { type: 'keep-alive' },
    { type: 'bitfield', bitfield: Buffer.from([0xff, 0x80]) },
    { type: 'piece', index: 3, begin: 16384, block: Buffer.alloc(16384, 7) },
    { type: 'keep-alive' },
    { type: 'extended', id: 0, payload: Buffer.from('d1:md6:ut_pexi1eee') },
    { type: 'have-all' },
  ];
  const stream = Buffer.concat(messages.map(encodeMessage));
  const byteWise = new FrameDecoder();
  const out: WireMessage[] = [];
  for (let i = 0; i < stream.length; i++) {
    out.push(...byteWise.push(stream.subarray(i, i + 1)));
    assert.ok(byteWise.bufferedBytes <= 4 + 16393);
  }
  assert.deepStrictEqual(out, messages);
  assert.deepStrictEqual(new FrameDecoder().push(stream), messages);
});

test('a piece wholly inside one chunk is a view of that chunk (no copy)', () => {
  const chunk = Buffer.concat([
    encodeMessage({ type: 'unchoke' }),
    encodeMessage({ type: 'piece', index: 0, begin: 0, block: Buffer.alloc(1000, 1) }),
    encodeMessage({ type: 'extended', id: 3, payload: Buffer.from('xyz') }),
  ]);
  const [, piece, ext] = new FrameDecoder().push(chunk);
  assert.ok(piece?.type === 'piece' && ext?.type === 'extended');
  assert.equal(piece.block.buffer, chunk.buffer);
  assert.equal(piece.block.byteOffset, chunk.byteOffset + 5 + 13);
  assert.equal(ext.payload.buffer, chunk.buffer);
});

test('a piece header alone, then its block: the block is a view of the second chunk; a partial block is copied', () => {
  const block = Buffer.alloc(16384, 7);
  const frame = encodeMessage({ type: 'piece', index: 3, begin: 16384, block });
  const have = encodeMessage({ type: 'have', index: 9 });
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(frame.subarray(0, 13)), []);
  assert.equal(decoder.retainedBytes, 13);
  const rest = Buffer.concat([frame.subarray(13), have]);
  const [piece, next] = decoder.push(rest) as [Extract<PeerMessage, { type: 'piece' }>, PeerMessage];
  assert.deepEqual({ ...piece, block: undefined }, { type: 'piece', index: 3, begin: 16384, block: undefined });
  assert.ok(piece.block.equals(block));
  assert.equal(piece.block.buffer, rest.buffer);
  assert.equal(piece.block.byteOffset, rest.byteOffset);
  assert.deepEqual(next, { type: 'have', index: 9 });
  assert.equal(decoder.bufferedBytes, 0);

  // The block in two halves: gathered (copied) as before.
  const split = new FrameDecoder();
  split.push(frame.subarray(0, 13));
  assert.deepEqual(split.push(frame.subarray(13, 8000)), []);
  assert.deepStrictEqual(split.push(frame.subarray(8000)), [{ type: 'piece', index: 3, begin: 16384, block }]);
});

test('max length: a frame announcing more is refused on its 4-byte prefix, before any body is buffered', () => {
  const decoder = new FrameDecoder();
  const err = assertWireError(() => decoder.push(header(DEFAULT_MAX_MESSAGE_LENGTH + 1)), 'message-too-long');
  assert.match(err.message, /1048577/);
  assert.equal(decoder.bufferedBytes, 0);
  assert.equal(decoder.retainedBytes, 0);

  // Split prefix: refused on the byte that completes it.
  const split = new FrameDecoder({ maxMessageLength: 100 });
  const prefix = header(0xffffffff);
  split.push(prefix.subarray(0, 3));
  assertWireError(() => split.push(Buffer.concat([prefix.subarray(3), Buffer.alloc(10)])), 'message-too-long');
});

test('max length: exactly the maximum is accepted; memory grows with bytes received, not bytes announced', () => {
  const small = new FrameDecoder({ maxMessageLength: 13 });
  assert.deepEqual(small.push(encodeMessage({ type: 'request', index: 1, begin: 2, length: 3 })), [
    { type: 'request', index: 1, begin: 2, length: 3 },
  ]);
  assertWireError(() => new FrameDecoder({ maxMessageLength: 13 }).push(header(14)), 'message-too-long');

  const big = new FrameDecoder();
  assert.deepEqual(big.push(header(DEFAULT_MAX_MESSAGE_LENGTH, 5)), []);
  assert.equal(big.bufferedBytes, 5);
  assert.ok(big.retainedBytes <= 64 * 1024, `holds ${big.retainedBytes} bytes after a 5-byte header`);
  const bitfield = Buffer.alloc(DEFAULT_MAX_MESSAGE_LENGTH - 1, 0xff);
  for (let at = 0; at < bitfield.length; at += 100_000) {
    big.push(bitfield.subarray(at, at + 100_000));
    assert.ok(big.retainedBytes <= Math.max(64 * 1024, 2 * big.bufferedBytes), `${big.retainedBytes} for ${big.bufferedBytes}`);
  }
  assert.equal(big.bufferedBytes, 0);
});

test('per-message lengths are checked on the header, before the body arrives', () => {
  assertWireError(() => new FrameDecoder().push(header(6, 4)), 'invalid-length'); // have must be 5
  assertWireError(() => new FrameDecoder().push(header(1000, 0)), 'invalid-length'); // choke must be 1
  assertWireError(() => new FrameDecoder().push(header(8, 7)), 'invalid-length'); // piece ≥ 9
  assertWireError(() => new FrameDecoder().push(header(1, 20)), 'invalid-length'); // extended ≥ 2
  assertWireError(() => new FrameDecoder().push(header(100, 99)), 'unknown-message');
  // … also when the header arrives split.
  const split = new FrameDecoder();
  split.push(header(14, 6).subarray(0, 4));
  assertWireError(() => split.push(Buffer.from([6])), 'invalid-length');
});

test('after an error the decoder stays failed and rethrows the same error', () => {
  const decoder = new FrameDecoder();
  const good = encodeMessage({ type: 'interested' });
  const err = assertWireError(() => decoder.push(Buffer.concat([good, header(1, 99)])), 'unknown-message');
  assert.equal(decoder.error, err);
  assert.throws(() => decoder.push(good), (again) => again === err);
  assert.throws(() => decoder.push(Buffer.alloc(0)), (again) => again === err);
});

test('handshake mode: a wrong first byte fails immediately; frames follow the handshake', () => {
  assertWireError(() => new FrameDecoder({ expectHandshake: true }).push(Buffer.from('GET / HTTP/1.1')), 'handshake-pstrlen');
  const handshake = encodeHandshake({ infoHash: Buffer.alloc(20, 1), peerId: Buffer.alloc(20, 2) });
  const bad = Buffer.from(handshake.subarray(0, 10));
  bad[9] = 0;
  const partial = new FrameDecoder({ expectHandshake: true });
  partial.push(bad.subarray(0, 5));
  assertWireError(() => partial.push(bad.subarray(5)), 'handshake-protocol');

  const decoder = new FrameDecoder({ expectHandshake: true });
  assert.equal(decoder.expectingHandshake, true);
  const out = decoder.push(Buffer.concat([handshake, encodeMessage({ type: 'have-none' })]));
  assert.deepEqual(out.map((m) => m.type), ['handshake', 'have-none']);
  assert.equal(decoder.expectingHandshake, false);
  // A second handshake is not a frame: 0x13426974 announces ~323 MB, refused on its prefix.
  assertWireError(() => decoder.push(handshake), 'message-too-long');
});

test('buffered bytes stay within max message length + 4 whatever the chunking', () => {
  const tooLong = { accepted: 0, refused: 0 };
  fc.assert(
    fc.property(fc.array(messageArb, { maxLength: 20 }), fc.integer({ min: 1, max: 5000 }), (messages, chunkSize) => {
      const decoder = new FrameDecoder({ maxMessageLength: 1000 });
      const stream = Buffer.concat(messages.map(encodeMessage));
      const fits = messages.every((m) => encodeMessage(m).length - 4 <= 1000);
      try {
        for (let at = 0; at < stream.length; at += chunkSize) {
          decoder.push(stream.subarray(at, at + chunkSize));
          assert.ok(decoder.bufferedBytes <= 1004);
          assert.ok(decoder.retainedBytes <= 1004);
        }
        assert.ok(fits, 'an oversized frame was accepted');
        tooLong.accepted++;
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        assert.equal(err.code, 'message-too-long');
        assert.ok(!fits);
        tooLong.refused++;
      }
    }),
    { numRuns: 300, seed: 42 },
  );
  assert.ok(tooLong.accepted > 0 && tooLong.refused > 0, JSON.stringify(tooLong));
});
