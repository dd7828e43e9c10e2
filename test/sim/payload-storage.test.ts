import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePayload } from '../../src/sim/payload.js';
import { PayloadStorage } from '../../src/sim/payload-storage.js';
import { isStorageError } from '../../src/storage/storage.js';

const KiB = 1024;

test('a payload is a function of its seed', { timeout: 5000 }, () => {
  const a = makePayload({ size: 100 * KiB + 3, pieceLength: 32 * KiB, seed: 9 });
  const b = makePayload({ size: 100 * KiB + 3, pieceLength: 32 * KiB, seed: 9 });
  const c = makePayload({ size: 100 * KiB + 3, pieceLength: 32 * KiB, seed: 10 });
  assert.ok(a.bytes.equals(b.bytes));
  assert.equal(a.meta.infoHashHex, b.meta.infoHashHex);
  assert.notEqual(a.meta.infoHashHex, c.meta.infoHashHex);
  assert.equal(a.meta.pieceCount, 4);
});

test('PayloadStorage: matching writes cost a bit, differing ones are kept; reads and firstDifference see both', { timeout: 5000 }, async () => {
  const { meta, bytes } = makePayload({ size: 40 * KiB, pieceLength: 16 * KiB, seed: 1 });
  const storage = new PayloadStorage(meta, bytes);
  await storage.prepare();
  await assert.rejects(storage.read(0, 10), (err) => isStorageError(err, 'missing-data'));
  assert.equal(storage.firstDifference(), 0);

  await storage.write(0, Buffer.from(bytes.subarray(0, 16 * KiB)));
  const bad = Buffer.from(bytes.subarray(16 * KiB, 32 * KiB));
  bad[100] = bad[100]! ^ 1;
  await storage.write(16 * KiB, bad);
  assert.deepEqual(await storage.stat(), [{ size: 32 * KiB, mtimeMs: 0 }]);
  assert.ok((await storage.read(0, 16 * KiB)).equals(bytes.subarray(0, 16 * KiB)));
  assert.ok((await storage.read(10, 20 * KiB)).equals(Buffer.concat([bytes.subarray(10, 16 * KiB), bad.subarray(0, 10 + 4 * KiB)])));
  assert.equal(storage.firstDifference(), 32 * KiB, 'the file is too short');

  // The tail block (shorter than 16 KiB), written in two parts, then the bad block fixed.
  await storage.write(32 * KiB, Buffer.from(bytes.subarray(32 * KiB, 36 * KiB)));
  await storage.write(36 * KiB, Buffer.from(bytes.subarray(36 * KiB)));
  assert.equal(storage.firstDifference(), 16 * KiB + 100);
  const into = Buffer.alloc(40 * KiB, 7);
  assert.ok((await storage.read(0, 40 * KiB, into)).equals(Buffer.concat([bytes.subarray(0, 16 * KiB), bad, bytes.subarray(32 * KiB)])));
  await storage.write(16 * KiB, Buffer.from(bytes.subarray(16 * KiB, 32 * KiB)));
  assert.equal(storage.firstDifference(), -1);
  await assert.rejects(storage.write(40 * KiB - 1, Buffer.alloc(2)), (err) => isStorageError(err, 'out-of-range'));
  await storage.close();
  await assert.rejects(storage.read(0, 1), (err) => isStorageError(err, 'closed'));
});

test('PayloadStorage: a complete one serves views of the payload; latency waits on the given delay', { timeout: 5000 }, async () => {
  const { meta, bytes } = makePayload({ size: 20 * KiB, pieceLength: 16 * KiB, seed: 2 });
  const waited: number[] = [];
  const storage = new PayloadStorage(meta, bytes, { complete: true, latencyMs: 5, delay: async (ms) => void waited.push(ms) });
  const view = await storage.read(16 * KiB, 4 * KiB);
  assert.equal(view.buffer, bytes.buffer, 'no copy');
  assert.equal(storage.firstDifference(), -1);
  assert.deepEqual(waited, [5]);
  assert.throws(() => new PayloadStorage(meta, bytes, { latencyMs: 5 }), /delay/);
});
