import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { startHashingThreadsEarly, takeHashingThreads } from '../../src/cli/hashing-threads.js';

test('hashing threads started early are the ones the run takes, once; a second run gets its own', async () => {
  startHashingThreadsEarly();
  startHashingThreadsEarly(); // a second call starts nothing more
  const first = takeHashingThreads();
  const second = takeHashingThreads();
  try {
    assert.notEqual(first, second, 'the early pool is handed over once');
    for (const hasher of [first, second]) {
      assert.deepEqual(await hasher.hashEach(Buffer.from('piece'), [5]), [createHash('sha1').update('piece').digest()]);
    }
  } finally {
    await first.close();
    await second.close();
  }
});
