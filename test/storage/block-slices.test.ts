import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceBlocks, totalLength } from '../../src/storage/block-slices.js';

test('sliceBlocks: views of any range of the concatenation, equal to slicing the concatenated buffer', () => {
  const blocks = [Buffer.from('abc'), Buffer.from(''), Buffer.from('defgh'), Buffer.from('i')];
  const whole = Buffer.concat(blocks);
  assert.equal(totalLength(blocks), whole.length);
  for (let start = 0; start <= whole.length; start++) {
    for (let length = 0; start + length <= whole.length; length++) {
      const slices = sliceBlocks(blocks, start, length);
      assert.equal(Buffer.concat(slices).toString(), whole.subarray(start, start + length).toString(), `[${start}, +${length})`);
    }
  }
  // Views, not copies.
  const [first] = sliceBlocks(blocks, 3, 2);
  assert.equal(first!.buffer, blocks[2]!.buffer);
});
