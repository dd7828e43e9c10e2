import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { pieceHash } from '../../src/protocol/metainfo/index.js';
import { payloadHasher } from '../../src/sim/payload-hasher.js';
import { makePayload } from '../../src/sim/payload.js';

const KiB = 1024;
const sha1 = (chunks: Buffer[]) => chunks.reduce((h, c) => h.update(c), createHash('sha1')).digest();

test('payloadHasher: a piece made of views of the payload gets its piece hash; anything else is hashed for real', { timeout: 5000 }, () => {
  const payload = makePayload({ size: 100 * KiB + 3, pieceLength: 32 * KiB, seed: 9 });
  const { bytes, meta } = payload;
  const hasher = payloadHasher(payload);
  const blocks = (at: number, sizes: number[]) => sizes.map((size) => bytes.subarray(at, (at += size)));

  // Views, end to end, of exactly one piece (the last one is short): the metainfo's hash.
  for (const [index, chunks] of [
    [1, blocks(32 * KiB, [16 * KiB, 16 * KiB])],
    [3, blocks(96 * KiB, [4 * KiB + 3])],
  ] as const) {
    assert.ok(hasher.digestNow!(chunks).equals(pieceHash(meta, index)));
    assert.ok(sha1(chunks).equals(pieceHash(meta, index)));
  }
  // Not a piece of the payload: a copy with a flipped byte, views out of order, a shifted or short range.
  const corrupt = Buffer.from(bytes.subarray(0, 32 * KiB));
  corrupt[5]! ^= 1;
  const cases = [
    [corrupt],
    blocks(32 * KiB, [16 * KiB, 16 * KiB]).reverse(),
    blocks(16 * KiB, [16 * KiB, 16 * KiB]),
    blocks(0, [16 * KiB]),
  ];
  for (const chunks of cases) {
    const digest = hasher.digestNow!(chunks);
    assert.ok(digest.equals(sha1(chunks)));
    assert.ok(!digest.equals(pieceHash(meta, 0)) && !digest.equals(pieceHash(meta, 1)));
  }
  // A copy of the right bytes is hashed, and matches.
  assert.ok(hasher.digestNow!([Buffer.from(bytes.subarray(0, 32 * KiB))]).equals(pieceHash(meta, 0)));
});
