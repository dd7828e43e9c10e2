import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pieceSize } from '../../../src/protocol/metainfo/index.js';

test('pieceSize: every piece is pieceLength but the last, which holds the rest', () => {
  const layout = { pieceCount: 3, pieceLength: 16384, length: 40000 };
  assert.deepEqual([0, 1, 2].map((i) => pieceSize(layout, i)), [16384, 16384, 40000 - 32768]);
  assert.equal(pieceSize({ pieceCount: 2, pieceLength: 100, length: 200 }, 1), 100, 'an exact multiple: the last piece is whole');
  assert.equal(pieceSize({ pieceCount: 1, pieceLength: 1 << 20, length: 5 }, 0), 5, 'one short piece');
});
