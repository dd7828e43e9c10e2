import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../../src/protocol/bencode/index.js';
import {
  ExtensionError,
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPieceCount,
  metadataPieceLength,
} from '../../../src/protocol/extension/index.js';

const isCode = (code: string) => (err: unknown) => err instanceof ExtensionError && err.code === code;

describe('BEP 9 ut_metadata messages', () => {
  test('pieces of 16 KiB, the last one shorter', () => {
    assert.equal(metadataPieceCount(16384), 1);
    assert.equal(metadataPieceCount(16385), 2);
    assert.equal(metadataPieceLength(40_000, 2), 40_000 - 32_768);
  });

  test('request, reject and data round trip; data is the bytes after the dictionary', () => {
    assert.deepEqual(decodeMetadataMessage(encodeMetadataMessage({ type: 'request', piece: 3 })), { type: 'request', piece: 3 });
    assert.deepEqual(decodeMetadataMessage(encodeMetadataMessage({ type: 'reject', piece: 0 })), { type: 'reject', piece: 0 });
    const data = Buffer.alloc(40_000 - 32_768, 0xab);
    const wire = encodeMetadataMessage({ type: 'data', piece: 2, totalSize: 40_000, data });
    assert.ok(wire.toString('latin1').startsWith('d8:msg_typei1e5:piecei2e10:total_sizei40000ee'), 'the BEP 9 example layout');
    const decoded = decodeMetadataMessage(wire);
    assert.equal(decoded.type, 'data');
    if (decoded.type === 'data') {
      assert.equal(decoded.totalSize, 40_000);
      assert.ok(decoded.data.equals(data));
    }
  });

  test('an unknown msg_type is reported, not an error (BEP 9: ignore it)', () => {
    assert.deepEqual(decodeMetadataMessage(encode({ msg_type: 9, piece: 0 })), { type: 'unknown', msgType: 9 });
  });

  test('data that does not fit its total_size, or a piece past the end, is refused', () => {
    const header = (piece: number, total: number) => encode({ msg_type: 1, piece, total_size: total });
    assert.throws(() => decodeMetadataMessage(Buffer.concat([header(0, 20_000), Buffer.alloc(100)])), isCode('invalid-piece'));
    assert.throws(() => decodeMetadataMessage(Buffer.concat([header(2, 20_000), Buffer.alloc(10)])), isCode('invalid-piece'));
    assert.throws(() => decodeMetadataMessage(Buffer.concat([header(0, 100), Buffer.alloc(101)])), isCode('invalid-piece'));
    assert.throws(() => decodeMetadataMessage(encode({ msg_type: 1, piece: 0 })), isCode('invalid-field'));
  });

  test('malformed messages are typed errors', () => {
    assert.throws(() => decodeMetadataMessage(Buffer.from('i1e')), isCode('not-a-dict'));
    assert.throws(() => decodeMetadataMessage(Buffer.from('d8:msg_typ')), isCode('invalid-bencoding'));
    assert.throws(() => decodeMetadataMessage(encode({ piece: 1 })), isCode('invalid-field'));
    assert.throws(() => decodeMetadataMessage(encode({ msg_type: 0, piece: -1 })), isCode('invalid-field'));
    assert.throws(() => decodeMetadataMessage(Buffer.concat([encode({ msg_type: 0, piece: 1 }), Buffer.from('x')])), isCode('invalid-field'));
  });
});
