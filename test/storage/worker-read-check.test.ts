// checkExisting with hashing threads that read the files themselves (FsStorage + workerHasher):
// real files in a temporary folder, compared with the inline check, which reads on this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { workerHasher } from '../../src/env/hasher.js';
import type { Metainfo } from '../../src/protocol/metainfo/index.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { checkExisting } from '../../src/storage/piece-verifier.js';
import { isStorageError, type TorrentStorage } from '../../src/storage/storage.js';
import { awkwardTorrent, makeTorrent, range, setBits, tempDir, writeFilesDirectly } from './helpers.js';

/** Records the ranges asked for through each path: read() on this thread, eachFileExtent() for the threads. */
function watched(storage: FsStorage, overrides: Partial<TorrentStorage> = {}) {
  const reads: { offset: number; length: number }[] = [];
  const extents: { offset: number; length: number }[] = [];
  const wrapped: TorrentStorage = {
    prepare: () => storage.prepare(),
    read: (offset, length, into) => {
      reads.push({ offset, length });
      return storage.read(offset, length, into);
    },
    eachFileExtent: (offset, length, use) => {
      extents.push({ offset, length });
      return storage.eachFileExtent(offset, length, use);
    },
    write: (offset, data) => storage.write(offset, data),
    stat: () => storage.stat(),
    flush: () => storage.flush(),
    close: () => storage.close(),
    ...overrides,
  };
  const piecesAskedFor = (meta: Metainfo) => {
    const pieces = new Set<number>();
    for (const r of extents) for (let i = Math.floor(r.offset / meta.pieceLength); i * meta.pieceLength < r.offset + r.length; i++) pieces.add(i);
    return [...pieces].sort((a, b) => a - b);
  };
  return { storage: wrapped, reads, extents, piecesAskedFor };
}

/**
 * 1 MiB pieces over three files whose edges fall inside pieces (a.bin: pieces 0-5, b.bin: 5-6,
 * c.bin: 6-9, piece 9 short): runs of 4 pieces go to the threads.
 */
function spanningTorrent() {
  return makeTorrent(
    [
      { path: ['w', 'a.bin'], length: 5 * 2 ** 20 + 12_345 },
      { path: ['w', 'b.bin'], length: 2 ** 20 },
      { path: ['w', 'c.bin'], length: 3 * 2 ** 20 - 999 },
    ],
    2 ** 20,
    3,
  );
}

async function inlineCheck(meta: Metainfo, dir: string): Promise<number[]> {
  const storage = new FsStorage(meta, dir);
  try {
    return setBits(await checkExisting(storage, meta), meta.pieceCount);
  } finally {
    await storage.close();
  }
}

/** Flips the bits of one byte of a file. */
function damageByte(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, at);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, at);
  closeSync(fd);
}

for (const [name, make] of [
  ['small pieces, padding, empty files', awkwardTorrent],
  ['1 MiB pieces spanning files', spanningTorrent],
] as const) {
  test(`threads reading files (${name}): every piece found, nothing read on this thread, progress to the total`, async (t) => {
    const dir = tempDir(t);
    const { meta, data } = make();
    writeFilesDirectly(dir, meta, data);
    const hasher = workerHasher(2);
    const fs = new FsStorage(meta, dir);
    try {
      const { storage, reads, piecesAskedFor } = watched(fs);
      const progress: number[] = [];
      const have = await checkExisting(storage, meta, { hasher, onProgress: (checked) => progress.push(checked) });
      assert.deepEqual(setBits(have, meta.pieceCount), range(0, meta.pieceCount));
      assert.deepEqual(reads, [], 'no byte read on the main thread');
      assert.deepEqual(piecesAskedFor(meta), range(0, meta.pieceCount));
      assert.equal(progress.at(-1), meta.pieceCount);
      assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]!));
    } finally {
      await fs.close();
      await hasher.close();
    }
  });
}

test('threads reading files find what the inline check finds: a damaged byte, a short file, a missing file', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = spanningTorrent();
  writeFilesDirectly(dir, meta, data, [1]); // b.bin missing: pieces 5 and 6, shared with a.bin and c.bin
  damageByte(path.join(dir, 'w', 'a.bin'), 2 * 2 ** 20 + 7); // piece 2
  truncateSync(path.join(dir, 'w', 'c.bin'), 2 * 2 ** 20); // c.bin ends inside piece 8: 8 and 9 missing
  const hasher = workerHasher(2);
  const fs = new FsStorage(meta, dir);
  try {
    const { storage, reads, piecesAskedFor } = watched(fs);
    const found = setBits(await checkExisting(storage, meta, { hasher }), meta.pieceCount);
    assert.deepEqual(found, [0, 1, 3, 4, 7]);
    assert.deepEqual(found, await inlineCheck(meta, dir));
    assert.deepEqual(reads, []);
    assert.deepEqual(piecesAskedFor(meta), [0, 1, 2, 3, 4, 7], 'pieces of the missing and short files are not read');
  } finally {
    await fs.close();
    await hasher.close();
  }
});

test('threads reading files: a file cut short after stat() costs only the pieces past its new end', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = spanningTorrent();
  writeFilesDirectly(dir, meta, data);
  const hasher = workerHasher(2);
  const fs = new FsStorage(meta, dir);
  try {
    const sizes = await fs.stat();
    // a.bin is cut to 4 MiB once stat() has seen it whole: the run of pieces 4..7 ends early, and
    // piece by piece only 4 and 5 (past the new end) are missing.
    truncateSync(path.join(dir, 'w', 'a.bin'), 4 * 2 ** 20);
    const { storage } = watched(fs, { stat: async () => sizes });
    const found = setBits(await checkExisting(storage, meta, { hasher }), meta.pieceCount);
    assert.deepEqual(found, [0, 1, 2, 3, 6, 7, 8, 9]);
  } finally {
    await fs.close();
    await hasher.close();
  }
});

test('threads reading files: known pieces are counted present and never read', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = spanningTorrent();
  writeFilesDirectly(dir, meta, data);
  damageByte(path.join(dir, 'w', 'a.bin'), 5); // piece 0 is damaged, but known: trusted unread
  const known = new Uint8Array(Math.ceil(meta.pieceCount / 8));
  known[0] = 0b1000_0100; // pieces 0 and 5
  const hasher = workerHasher(2);
  const fs = new FsStorage(meta, dir);
  try {
    const { storage, piecesAskedFor } = watched(fs);
    const progress: number[] = [];
    const found = setBits(await checkExisting(storage, meta, { hasher, known, onProgress: (checked) => progress.push(checked) }), meta.pieceCount);
    assert.deepEqual(found, range(0, meta.pieceCount));
    assert.deepEqual(piecesAskedFor(meta), [1, 2, 3, 4, 6, 7, 8, 9]);
    assert.equal(progress[0], 2, 'the known pieces are reported first');
    assert.equal(progress.at(-1), meta.pieceCount);
  } finally {
    await fs.close();
    await hasher.close();
  }
});

test('threads reading files: an abort stops the check with its reason and leaves no job behind', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = makeTorrent([{ path: ['big.bin'], length: 16 * 2 ** 20 }], 2 ** 20, 5);
  writeFilesDirectly(dir, meta, data);
  const hasher = workerHasher(2);
  const fs = new FsStorage(meta, dir);
  try {
    const { storage, extents } = watched(fs);
    const controller = new AbortController();
    const reason = new Error('stopped by the user');
    await assert.rejects(
      checkExisting(storage, meta, { hasher, concurrency: 1, signal: controller.signal, onProgress: () => controller.abort(reason) }),
      (err) => err === reason,
    );
    assert.equal(extents.length, 1, 'nothing asked for after the abort');
    // The threads are free: another check runs to the end on the same hasher.
    assert.deepEqual(setBits(await checkExisting(fs, meta, { hasher }), meta.pieceCount), range(0, meta.pieceCount));
    await assert.rejects(checkExisting(fs, meta, { hasher, signal: AbortSignal.abort() }), { name: 'AbortError' });
  } finally {
    await fs.close();
    await hasher.close();
  }
});

test('threads reading files: a read error other than missing data rejects the check with a storage error', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = spanningTorrent();
  writeFilesDirectly(dir, meta, data);
  mkdirSync(path.join(dir, 'not-a-file'));
  const folder = openSync(path.join(dir, 'not-a-file'), 'r');
  t.after(() => closeSync(folder));
  const hasher = workerHasher(2);
  const fs = new FsStorage(meta, dir);
  try {
    // A descriptor of a folder where a file should be: read() fails with EISDIR in the thread.
    const { storage } = watched(fs, { eachFileExtent: async (_offset, length, use) => use({ fd: folder, position: 0, length }) });
    await assert.rejects(checkExisting(storage, meta, { hasher }), (err) => isStorageError(err, 'not-a-file'));
  } finally {
    await fs.close();
    await hasher.close();
  }
});
