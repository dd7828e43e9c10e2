import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pieceHash } from '../../src/protocol/metainfo/index.js';
import { payloadHasher } from '../../src/sim/payload-hasher.js';
import { makePayload } from '../../src/sim/payload.js';

const KiB = 1024;

test('payloadHasher: a piece whose bytes are the payload’s gets its piece hash without hashing; any other is left to be hashed', { timeout: 5000 }, () => {
  const payload = makePayload({ size: 100 * KiB + 3, pieceLength: 32 * KiB, seed: 9 });
  const { bytes, meta } = payload;
  const hasher = payloadHasher(payload);
  const blocks = (at: number, sizes: number[]) => sizes.map((size) => Buffer.from(bytes.subarray(at, (at += size))));

  // The right bytes, as copies in any split (the last piece is short): the metainfo's hash.
  assert.ok(hasher.knownDigest!(1, blocks(32 * KiB, [16 * KiB, 16 * KiB]))?.equals(pieceHash(meta, 1)));
  assert.ok(hasher.knownDigest!(1, blocks(32 * KiB, [32 * KiB]))?.equals(pieceHash(meta, 1)));
  assert.ok(hasher.knownDigest!(3, blocks(96 * KiB, [4 * KiB + 3]))?.equals(pieceHash(meta, 3)));

  // Anything else: no shortcut.
  const corrupt = blocks(0, [16 * KiB, 16 * KiB]);
  corrupt[1]![5]! ^= 1;
  const cases: [number, Buffer[]][] = [
    [0, corrupt],
    [1, blocks(32 * KiB, [16 * KiB, 16 * KiB]).reverse()],
    [1, blocks(16 * KiB, [16 * KiB, 16 * KiB])],
    [0, blocks(0, [16 * KiB])],
    [0, blocks(0, [16 * KiB, 16 * KiB, 16 * KiB])],
    [2, blocks(32 * KiB, [32 * KiB])],
    [4, blocks(96 * KiB, [4 * KiB + 3])],
  ];
  for (const [index, chunks] of cases) assert.equal(hasher.knownDigest!(index, chunks), undefined, `piece ${index}`);
});
