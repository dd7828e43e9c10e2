import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, memoryStorageFactory } from '../../src/storage/memory-storage.js';
import { verifyPiece } from '../../src/storage/piece-verifier.js';
import { isStorageError } from '../../src/storage/storage.js';
import { storageContract } from './contract.js';
import { makeTorrent, range } from './helpers.js';

storageContract('MemoryStorage', (_t, meta) => new MemoryStorage(meta));

test('MemoryStorage: memory grows with the data written, not with the torrent', async () => {
  const { meta } = makeTorrent([{ path: ['huge.bin'], length: 0 }], 1);
  // A 64 GiB torrent, described by hand: nothing is allocated for it until written.
  const huge = { ...meta, length: 64 * 2 ** 30, pieceLength: 2 ** 20, pieceCount: 64 * 1024, files: [{ ...meta.files[0]!, length: 64 * 2 ** 30 }] };
  const storage = new MemoryStorage(huge);
  await storage.write(40 * 2 ** 30, Buffer.alloc(16 * 1024, 7));
  await storage.write(5, Buffer.alloc(10, 1));
  assert.equal(storage.disk.bytesStored, 2 * 16 * 1024);
  assert.deepEqual(await storage.read(40 * 2 ** 30 - 2, 4), Buffer.from([0, 0, 7, 7]));
});

test('MemoryStorage: latency goes through the injected delay, never a hard-coded timer', async () => {
  const { meta, data } = makeTorrent([{ path: ['l.bin'], length: 100 }], 64);
  const waits: number[] = [];
  const storage = new MemoryStorage(meta, { latencyMs: 25, delay: async (ms) => void waits.push(ms) });
  await storage.write(0, data);
  await storage.read(0, 10);
  await storage.flush();
  assert.deepEqual(waits, [25, 25, 25]);
  storage.faults.latencyMs = 0;
  await storage.read(0, 10);
  assert.equal(waits.length, 3);
  assert.throws(() => new MemoryStorage(meta, { latencyMs: 5 }), RangeError);
});

test('MemoryStorage: a slow write lets other operations overtake it', async () => {
  const { meta, data } = makeTorrent([{ path: ['s.bin'], length: 100 }], 64);
  const pending: (() => void)[] = [];
  const storage = new MemoryStorage(meta, { latencyMs: 1, delay: () => new Promise<void>((resolve) => pending.push(resolve)) });
  const write = storage.write(0, data);
  await Promise.resolve();
  assert.equal(pending.length, 1);
  storage.faults.latencyMs = 0;
  await assert.rejects(storage.read(0, 10), (err) => isStorageError(err, 'missing-data'), 'nothing is stored before the delay ends');
  pending[0]!();
  await write;
  assert.deepEqual(await storage.read(0, 100), data);
});

test('MemoryStorage: failWrites simulates a full disk, storing nothing, and can be switched off', async () => {
  const { meta, data } = makeTorrent([{ path: ['f', 'a'], length: 50 }, { path: ['f', 'b'], length: 50 }], 64);
  const storage = new MemoryStorage(meta, { failWrites: true });
  await assert.rejects(storage.write(0, data), (err) => isStorageError(err, 'no-space'));
  assert.deepEqual(await storage.stat(), [undefined, undefined]);
  assert.equal(storage.disk.bytesStored, 0);
  storage.faults.failWrites = (offset) => offset >= 50;
  await storage.write(0, data.subarray(0, 50));
  await assert.rejects(storage.write(50, data.subarray(50)), (err) => isStorageError(err, 'no-space'));
  storage.faults.failWrites = false;
  await storage.write(50, data.subarray(50));
  assert.deepEqual(await storage.read(0, 100), data);
});

test('MemoryStorage: corruptReads flips bytes of the chosen pieces and ranges only as they are read', async () => {
  const { meta, data } = makeTorrent([{ path: ['c.bin'], length: 1000 }], 100);
  const storage = new MemoryStorage(meta, { corruptReads: [{ piece: 3 }, { offset: 702, length: 3 }] });
  await storage.write(0, data);
  const verified = await Promise.all(range(0, meta.pieceCount).map((i) => verifyPiece(storage, meta, i)));
  assert.deepEqual(verified.flatMap((ok, i) => (ok ? [] : [i])), [3, 7]);
  const read = await storage.read(290, 20);
  const expected = Buffer.from(data.subarray(290, 310));
  expected[10] = expected[10]! ^ 0xff;
  assert.deepEqual(read, expected, 'exactly the first byte of piece 3 is flipped');
  assert.deepEqual(await storage.read(703, 1), Buffer.from([data[703]! ^ 0xff]));
  storage.faults.corruptReads = [];
  assert.deepEqual(await storage.read(0, 1000), data, 'the stored bytes are intact');
});

test('memoryStorageFactory: a torrent opened again in the same folder finds its data', async () => {
  const { meta, data } = makeTorrent([{ path: ['r.bin'], length: 100 }], 64);
  const factory = memoryStorageFactory();
  const first = factory.open(meta, '/downloads');
  await first.write(0, data);
  const statsBefore = await first.stat();
  await first.close();
  const again = factory.open(meta, '/downloads');
  assert.deepEqual(await again.read(0, 100), data);
  assert.deepEqual(await again.stat(), statsBefore);
  await assert.rejects(factory.open(meta, '/elsewhere').read(0, 1), (err) => isStorageError(err, 'missing-data'));
});

test('MemoryStorage: mtimes come from the injected clock and change on each write', async () => {
  const { meta, data } = makeTorrent([{ path: ['m', 'a'], length: 10 }, { path: ['m', 'b'], length: 10 }], 64);
  let now = 1000;
  const storage = new MemoryStorage(meta, { now: () => now });
  await storage.write(0, data);
  now = 2000;
  await storage.write(12, data.subarray(12, 14));
  assert.deepEqual(await storage.stat(), [{ size: 10, mtimeMs: 1000 }, { size: 10, mtimeMs: 2000 }]);
});
