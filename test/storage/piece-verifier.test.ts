import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, writeSync, truncateSync } from 'node:fs';
import path from 'node:path';
import BitField from 'bitfield';
import type { Metainfo } from '../../src/protocol/metainfo/index.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { workerHasher } from '../../src/env/hasher.js';
import { checkExisting, verifyPiece } from '../../src/storage/piece-verifier.js';
import { hasBit } from '../../src/util/bits.js';
import { isStorageError, StorageError, type TorrentStorage } from '../../src/storage/storage.js';
import { awkwardTorrent, makeTorrent, range, setBits, tempDir, writeFilesDirectly } from './helpers.js';

/** Records the ranges read through it. */
function counting(storage: TorrentStorage) {
  const reads: { offset: number; length: number }[] = [];
  const wrapped: TorrentStorage = {
    prepare: () => storage.prepare(),
    read: (offset, length) => {
      reads.push({ offset, length });
      return storage.read(offset, length);
    },
    write: (offset, data) => storage.write(offset, data),
    stat: () => storage.stat(),
    flush: () => storage.flush(),
    close: () => storage.close(),
  };
  return { storage: wrapped, reads, piecesRead: (meta: Metainfo) => [...new Set(reads.map((r) => Math.floor(r.offset / meta.pieceLength)))].sort((a, b) => a - b) };
}

/** Pieces holding at least one byte of file `index`. */
function piecesOf(meta: Metainfo, index: number): number[] {
  const file = meta.files[index]!;
  return range(Math.floor(file.offset / meta.pieceLength), Math.floor((file.offset + file.length - 1) / meta.pieceLength) + 1);
}

test('checkExisting: complete data on disk → every piece present; the result is a wire-layout bitfield', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data);
  const storage = new FsStorage(meta, dir);
  const progress: number[] = [];
  const have = await checkExisting(storage, meta, { onProgress: (checked, total) => progress.push(checked / total) });
  await storage.close();
  assert.equal(have.length, Math.ceil(meta.pieceCount / 8));
  assert.deepEqual(setBits(have, meta.pieceCount), range(0, meta.pieceCount));
  assert.equal(have[1]! & 0b11, 0, 'spare bits stay clear');
  const bits = new BitField(have);
  assert.ok(range(0, meta.pieceCount).every((i) => bits.get(i) && hasBit(have, i)));
  assert.equal(progress.at(-1), 1);
  assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]!));
});

test('checkExisting: nothing on disk → no piece, and not a byte read', async (t) => {
  const { meta } = awkwardTorrent();
  const { storage, reads } = counting(new FsStorage(meta, path.join(tempDir(t), 'empty')));
  assert.deepEqual(setBits(await checkExisting(storage, meta), meta.pieceCount), []);
  assert.deepEqual(reads, []);
});

test('checkExisting with known pieces: they count as present without a byte of them read; the others are hashed', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data);
  // Piece 2 is damaged on disk; piece 1 is "known" (resume data of an unchanged file), so it is not read.
  const file = path.join(dir, ...meta.files[1]!.path);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0xff ^ data[2 * meta.pieceLength]!]), 0, 1, 2 * meta.pieceLength);
  closeSync(fd);
  const known = new Uint8Array(Math.ceil(meta.pieceCount / 8));
  known[0] = 0b0100_0000;
  const { storage, piecesRead } = counting(new FsStorage(meta, dir));
  const have = await checkExisting(storage, meta, { known });
  await storage.close();
  assert.deepEqual(setBits(have, meta.pieceCount), range(0, meta.pieceCount).filter((i) => i !== 2));
  assert.deepEqual(piecesRead(meta), range(0, meta.pieceCount).filter((i) => i !== 1), 'the known piece is never read');
});

test('checkExisting: a missing file → exactly its pieces missing, and they are not read', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  const missing = 3; // sub/b.bin: pieces 4..5, sharing piece 5 with c.bin and d.bin
  writeFilesDirectly(dir, meta, data, [missing]);
  const { storage, piecesRead } = counting(new FsStorage(meta, dir));
  const have = await checkExisting(storage, meta);
  const gone = piecesOf(meta, missing);
  assert.deepEqual(gone, [4, 5]);
  assert.deepEqual(setBits(have, meta.pieceCount), range(0, meta.pieceCount).filter((i) => !gone.includes(i)));
  assert.deepEqual(piecesRead(meta), range(0, meta.pieceCount).filter((i) => !gone.includes(i)));
});

test('checkExisting: a short file → pieces past its end missing unread; pieces before its end are hashed', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data);
  // d.bin spans bytes 1329..3329 = pieces 5..13; keep its first 700 bytes (up to torrent byte 2029, piece 7).
  truncateSync(path.join(dir, ...meta.files[6]!.path), 700);
  const { storage, piecesRead } = counting(new FsStorage(meta, dir));
  const have = await checkExisting(storage, meta);
  assert.deepEqual(setBits(have, meta.pieceCount), range(0, 7));
  assert.deepEqual(piecesRead(meta), range(0, 7), 'piece 7 reaches past the end of the short file: not read');
});

test('checkExisting: one corrupted byte → exactly that piece missing', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data);
  // Byte 1500 of the torrent is byte 171 of d.bin, in piece 5.
  const fd = openSync(path.join(dir, ...meta.files[6]!.path), 'r+');
  writeSync(fd, Buffer.from([data[1500]! ^ 0x01]), 0, 1, 1500 - 1329);
  closeSync(fd);
  const storage = new FsStorage(meta, dir);
  const have = await checkExisting(storage, meta);
  await storage.close();
  assert.deepEqual(setBits(have, meta.pieceCount), range(0, meta.pieceCount).filter((i) => i !== 5));
});

test('checkExisting: partial download (some pieces written) → exactly those pieces', async () => {
  const { meta, data } = makeTorrent([{ path: ['p', 'a'], length: 5000 }, { path: ['p', 'b'], length: 5000 }], 512);
  const storage = new MemoryStorage(meta);
  const written = [0, 3, 9, 10, 19];
  for (const i of written) await storage.write(i * 512, data.subarray(i * 512, (i + 1) * 512));
  // Files are now as long as the last piece written in them; the holes read as zeros and fail the hash.
  assert.deepEqual(setBits(await checkExisting(storage, meta), meta.pieceCount), written);
});

test('checkExisting: an abort signal stops the check and rejects with its reason', async () => {
  const { meta, data } = makeTorrent([{ path: ['a.bin'], length: 64 * 100 }], 64);
  const storage = new MemoryStorage(meta);
  await storage.write(0, data);
  const controller = new AbortController();
  const { storage: watched, reads } = counting(storage);
  const reason = new Error('stopped by the user');
  await assert.rejects(
    checkExisting(watched, meta, { onProgress: (checked) => checked === 10 && controller.abort(reason), signal: controller.signal }),
    (err) => err === reason,
  );
  assert.ok(reads.length < 20, `${reads.length} reads after abort`);
  await assert.rejects(checkExisting(storage, meta, { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('checkExisting: an I/O error other than missing data rejects, after every worker stopped', async () => {
  const { meta, data } = makeTorrent([{ path: ['a.bin'], length: 64 * 50 }], 64);
  const memory = new MemoryStorage(meta);
  await memory.write(0, data);
  let inFlight = 0;
  let readsAfterFailure = 0;
  let failed = false;
  const flaky: TorrentStorage = {
    ...counting(memory).storage,
    read: async (offset, length) => {
      if (failed) readsAfterFailure++;
      inFlight++;
      try {
        if (offset === 64 * 20) {
          failed = true;
          throw new StorageError('io', 'cannot read a.bin: EIO');
        }
        return await memory.read(offset, length);
      } finally {
        inFlight--;
      }
    },
  };
  await assert.rejects(checkExisting(flaky, meta), (err) => isStorageError(err, 'io'));
  assert.equal(inFlight, 0, 'nothing still reading when the check settles');
  assert.ok(readsAfterFailure <= 2, `${readsAfterFailure} reads after the failure`);
});

test('verifyPiece reads in bounded chunks and agrees whatever the chunk size', async () => {
  const { meta, data } = makeTorrent([{ path: ['v', 'a'], length: 3000 }, { path: ['v', 'b'], length: 1001 }], 1024);
  const memory = new MemoryStorage(meta);
  await memory.write(0, data);
  for (const chunkSize of [1, 7, 100, 1024, 5000]) {
    const { storage, reads } = counting(memory);
    for (let i = 0; i < meta.pieceCount; i++) assert.equal(await verifyPiece(storage, meta, i, { chunkSize }), true, `piece ${i}, chunks of ${chunkSize}`);
    assert.ok(reads.every((r) => r.length <= chunkSize));
    assert.equal(reads.reduce((sum, r) => sum + r.length, 0), meta.length);
  }
  memory.faults.corruptReads = [{ offset: 4000, length: 1 }];
  assert.equal(await verifyPiece(memory, meta, 3, { chunkSize: 100 }), false);
  assert.equal(await verifyPiece(memory, meta, 2, { chunkSize: 100 }), true);
  await assert.rejects(verifyPiece(memory, meta, 4), (err) => isStorageError(err, 'out-of-range'));
});

test('checkExisting with hashing threads finds what the inline check finds: runs of small pieces, a damaged piece, a short file, a missing one', async (t) => {
  const dir = tempDir(t);
  // 16 KiB pieces: runs of 64 pieces go to the hashing threads in one message each.
  const { meta, data } = makeTorrent(
    [
      { path: ['m', 'a.bin'], length: 700_000 },
      { path: ['m', 'b.bin'], length: 300_000 },
      { path: ['m', 'c.bin'], length: 500_000 },
    ],
    16384,
    7,
  );
  writeFilesDirectly(dir, meta, data, [2]);
  const damaged = Buffer.from(data.subarray(20 * 16384, 20 * 16384 + 10));
  damaged[0] = damaged[0]! ^ 0xff;
  const fd = openSync(path.join(dir, 'm', 'a.bin'), 'r+');
  writeSync(fd, damaged, 0, damaged.length, 20 * 16384);
  closeSync(fd);
  truncateSync(path.join(dir, 'm', 'b.bin'), 200_000);
  const inlineStorage = new FsStorage(meta, dir);
  const inline = await checkExisting(inlineStorage, meta);
  await inlineStorage.close();
  const hasher = workerHasher(2);
  try {
    const storage = new FsStorage(meta, dir);
    const threaded = await checkExisting(storage, meta, { hasher });
    await storage.close();
    assert.deepEqual(setBits(threaded, meta.pieceCount), setBits(inline, meta.pieceCount));
    const found = setBits(threaded, meta.pieceCount);
    assert.ok(!found.includes(20), 'the damaged piece is missing');
    assert.ok(found.includes(0) && found.includes(19) && found.includes(21), 'its neighbours in the same run are found');
    assert.ok(!found.includes(meta.pieceCount - 1), 'pieces of the missing file are missing');
  } finally {
    await hasher.close();
  }
});
