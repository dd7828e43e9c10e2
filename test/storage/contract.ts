import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Metainfo } from '../../src/protocol/metainfo/index.js';
import { isStorageError, type TorrentStorage } from '../../src/storage/storage.js';
import { awkwardTorrent, makeTorrent } from './helpers.js';

export type OpenStorage = (t: TestContext, meta: Metainfo) => TorrentStorage;

/** Behaviour every TorrentStorage must share (FsStorage and MemoryStorage run the same cases). */
export function storageContract(kind: string, openStorage: OpenStorage): void {
  const opened = (t: TestContext, meta: Metainfo) => {
    const storage = openStorage(t, meta);
    t.after(() => storage.close());
    return storage;
  };

  test(`${kind}: a single-file torrent written in pieces reads back whole and in any range`, async (t) => {
    const { meta, data } = makeTorrent([{ path: ['single.bin'], length: 10_000 }], 1024);
    const storage = opened(t, meta);
    await storage.prepare();
    for (const at of [4096, 0, 8192, 1024, 2048, 3072, 5120, 6144, 7168, 9216]) await storage.write(at, data.subarray(at, at + 1024));
    assert.deepEqual(await storage.read(0, data.length), data);
    assert.deepEqual(await storage.read(1000, 3000), data.subarray(1000, 4000));
    assert.deepEqual(await storage.read(9999, 1), data.subarray(9999));
    assert.deepEqual(await storage.read(10_000, 0), Buffer.alloc(0));
  });

  test(`${kind}: multi-file torrent with zero-length files, padding and a short last piece`, async (t) => {
    const { meta, data } = awkwardTorrent();
    assert.equal(meta.length % meta.pieceLength, 1, 'the last piece is shorter than the others');
    const storage = opened(t, meta);
    await storage.prepare();
    const afterPrepare = await storage.stat();
    assert.deepEqual(
      afterPrepare.map((s) => s?.size),
      meta.files.map((f) => (f.length === 0 && !f.padding && !f.symlinkTarget ? 0 : undefined)),
    );
    // Pieces in a scrambled order; the padding bytes we send are junk and must be dropped.
    const junk = Buffer.from(data);
    junk.fill(0xee, 1000, 1024);
    const order = Array.from({ length: meta.pieceCount }, (_, i) => (i * 5) % meta.pieceCount);
    assert.equal(new Set(order).size, meta.pieceCount);
    for (const piece of order) {
      const at = piece * meta.pieceLength;
      await storage.write(at, junk.subarray(at, at + meta.pieceLength));
    }
    assert.deepEqual(await storage.read(0, meta.length), data);
    assert.deepEqual(await storage.read(1000, 24), Buffer.alloc(24), 'padding reads as zeros');
    // a.bin | padding | b.bin | c.bin | d.bin: one read across five files (two of them empty).
    assert.deepEqual(await storage.read(990, 360), data.subarray(990, 1350));
    // Reading into a caller's dirty buffer gives the same bytes, in that buffer.
    const into = Buffer.alloc(500, 0xaa);
    const viaInto = await storage.read(900, 400, into);
    assert.deepEqual(viaInto, data.subarray(900, 1300));
    assert.equal(viaInto.buffer, into.buffer);
    const stats = await storage.stat();
    assert.deepEqual(
      stats.map((s) => s?.size),
      meta.files.map((f) => (f.padding || f.symlinkTarget ? undefined : f.length)),
    );
  });

  test(`${kind}: a write across three files lands in each of them`, async (t) => {
    const { meta, data } = makeTorrent(
      [
        { path: ['w', 'one'], length: 10 },
        { path: ['w', 'two'], length: 3 },
        { path: ['w', 'three'], length: 10 },
      ],
      16,
    );
    const storage = opened(t, meta);
    await storage.write(5, data.subarray(5, 18));
    assert.deepEqual(await storage.read(5, 13), data.subarray(5, 18));
    assert.deepEqual((await storage.stat()).map((s) => s?.size), [10, 3, 5]);
    assert.deepEqual(await storage.read(0, 5), Buffer.alloc(5), 'never-written bytes inside a file are zeros');
  });

  test(`${kind}: ranges outside the torrent are rejected`, async (t) => {
    const { meta, data } = makeTorrent([{ path: ['r.bin'], length: 100 }], 64);
    const storage = opened(t, meta);
    await storage.write(0, data);
    for (const [offset, length] of [[-1, 2], [99, 2], [100, 1], [0, 101], [1.5, 1]] as const) {
      await assert.rejects(storage.read(offset, length), (err) => isStorageError(err, 'out-of-range'));
    }
    await assert.rejects(storage.write(90, Buffer.alloc(11)), (err) => isStorageError(err, 'out-of-range'));
    assert.deepEqual(await storage.read(0, 100), data, 'a refused write changes nothing');
  });

  test(`${kind}: reading a missing file or past the end of a short one fails with missing-data`, async (t) => {
    const { meta, data } = makeTorrent(
      [
        { path: ['m', 'a'], length: 100 },
        { path: ['m', 'b'], length: 100 },
      ],
      64,
    );
    const storage = opened(t, meta);
    await assert.rejects(storage.read(0, 10), (err) => isStorageError(err, 'missing-data'));
    await storage.write(0, data.subarray(0, 50));
    assert.deepEqual(await storage.read(0, 50), data.subarray(0, 50));
    await assert.rejects(storage.read(40, 20), (err) => isStorageError(err, 'missing-data'));
    await storage.write(0, data.subarray(0, 100));
    await assert.rejects(storage.read(90, 20), (err) => isStorageError(err, 'missing-data'), 'b is still missing');
    assert.deepEqual((await storage.stat()).map((s) => s?.size), [100, undefined]);
  });

  test(`${kind}: a closed storage refuses every operation`, async (t) => {
    const { meta } = makeTorrent([{ path: ['c.bin'], length: 10 }], 16);
    const storage = openStorage(t, meta);
    await storage.write(0, Buffer.alloc(10, 1));
    await storage.close();
    await assert.rejects(storage.read(0, 1), (err) => isStorageError(err, 'closed'));
    await assert.rejects(storage.write(0, Buffer.alloc(1)), (err) => isStorageError(err, 'closed'));
    await storage.close();
  });
}
