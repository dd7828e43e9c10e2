import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import fc from 'fast-check';
import { HandlePool } from '../../src/storage/handle-pool.js';
import { isStorageError, StorageError } from '../../src/storage/storage.js';

/** Fake handles recording what happens to them; `tick` yields to let other operations interleave. */
function fakeFiles(options: { readOnly?: Set<number>; failOpen?: Set<number> } = {}) {
  const log: string[] = [];
  let open = 0;
  let peak = 0;
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  const opener = async (index: number, write: boolean) => {
    await tick();
    if (options.failOpen?.has(index)) {
      options.failOpen.delete(index);
      throw new StorageError('io', `cannot open ${index}`);
    }
    const writable = !options.readOnly?.has(index);
    if (write && !writable) throw new StorageError('read-only', `cannot write ${index}`);
    open++;
    peak = Math.max(peak, open);
    log.push(`open ${index} ${writable ? 'rw' : 'ro'}`);
    const handle = {
      datasync: async () => void log.push(`sync ${index}`),
      close: async () => {
        open--;
        log.push(`close ${index}`);
      },
    } as unknown as FileHandle;
    return { handle, writable };
  };
  return { opener, log, tick, counts: () => ({ open, peak }) };
}

test('HandlePool never holds more than its limit, whatever the interleaving', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(fc.record({ file: fc.integer({ min: 0, max: 12 }), write: fc.boolean(), yields: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 60 }), async (limit, ops) => {
      const files = fakeFiles();
      const pool = new HandlePool(limit, files.opener);
      const used: number[] = [];
      await Promise.all(
        ops.map((op) =>
          pool.use(op.file, op.write, async () => {
            for (let i = 0; i < op.yields; i++) await files.tick();
            used.push(op.file);
          }),
        ),
      );
      assert.equal(used.length, ops.length);
      assert.ok(files.counts().peak <= limit, `peak ${files.counts().peak} > ${limit}`);
      assert.ok(pool.peakOpen <= limit);
      await pool.closeAll();
      assert.equal(files.counts().open, 0);
      assert.equal(pool.openCount, 0);
    }),
    { numRuns: 150, seed: 0x9001 },
  );
});

test('HandlePool closes the least recently used handle first and syncs it if written', async () => {
  const files = fakeFiles();
  const pool = new HandlePool(2, files.opener);
  await pool.use(1, true, async () => undefined);
  await pool.use(2, false, async () => undefined);
  await pool.use(1, false, async () => undefined); // 1 is now the most recent
  await pool.use(3, false, async () => undefined); // evicts 2
  await pool.use(4, false, async () => undefined); // evicts 1, which was written
  assert.deepEqual(files.log, ['open 1 rw', 'open 2 rw', 'close 2', 'open 3 rw', 'sync 1', 'close 1', 'open 4 rw']);
  await pool.closeAll();
});

test('HandlePool reopens a read-only handle for writing, and reports a file that stays read-only', async () => {
  const readOnly = new Set([7]);
  const files = fakeFiles({ readOnly });
  const pool = new HandlePool(4, files.opener);
  await pool.use(7, false, async () => undefined);
  await assert.rejects(pool.use(7, true, async () => undefined), (err) => isStorageError(err, 'read-only'));
  readOnly.delete(7);
  await pool.use(7, true, async () => undefined);
  assert.deepEqual(files.log, ['open 7 ro', 'close 7', 'open 7 rw']);
  await pool.closeAll();
});

test('HandlePool forgets a file that failed to open, so the next use tries again', async () => {
  const files = fakeFiles({ failOpen: new Set([3]) });
  const pool = new HandlePool(1, files.opener);
  const results = await Promise.allSettled([pool.use(3, false, async () => 'a'), pool.use(3, false, async () => 'b')]);
  assert.ok(results.every((r) => r.status === 'rejected'));
  assert.equal(pool.openCount, 0);
  assert.equal(await pool.use(3, false, async () => 'c'), 'c');
  assert.equal(await pool.use(4, false, async () => 'd'), 'd', 'the slot of the failed open was given back');
  await pool.closeAll();
});

test('HandlePool.flush syncs the handles written since the last flush, and closeAll refuses later use', async () => {
  const files = fakeFiles();
  const pool = new HandlePool(4, files.opener);
  await pool.use(1, true, async () => undefined);
  await pool.use(2, false, async () => undefined);
  await pool.flush();
  await pool.flush();
  assert.deepEqual(files.log, ['open 1 rw', 'open 2 rw', 'sync 1']);
  await pool.closeAll();
  await assert.rejects(pool.use(1, false, async () => undefined), (err) => isStorageError(err, 'closed'));
});
