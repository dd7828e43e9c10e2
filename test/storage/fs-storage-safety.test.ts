import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { isStorageError } from '../../src/storage/storage.js';
import { makeTorrent, tempDir } from './helpers.js';

/** Every entry under `dir`, recursively, as relative paths. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

// These Metainfos bypass the parser's sanitiser on purpose: the storage must hold the line alone.
for (const evil of [
  ['..', 'escape.bin'],
  ['t', '..', '..', 'escape.bin'],
  ['t', '..', '..', 'parent-sibling', 'escape.bin'],
  ['/tmp-absolute-escape.bin'],
  ['t', '..'],
  ['t', 'nul\0byte'],
]) {
  test(`FsStorage refuses the path ${JSON.stringify(evil)} and creates nothing outside the folder`, async (t) => {
    const parent = tempDir(t);
    const downloads = path.join(parent, 'downloads');
    mkdirSync(downloads);
    const { meta, data } = makeTorrent(
      [
        { path: ['t', 'fine.bin'], length: 10 },
        { path: evil, length: 10 },
      ],
      8,
    );
    const before = tree(parent);
    const storage = new FsStorage(meta, downloads);
    await assert.rejects(storage.prepare(), (err) => isStorageError(err, 'outside-folder'));
    assert.deepEqual(tree(parent), before, 'prepare checks every path before creating anything');
    await assert.rejects(storage.write(0, data), (err) => isStorageError(err, 'outside-folder'));
    await assert.rejects(storage.write(10, data.subarray(10)), (err) => isStorageError(err, 'outside-folder'));
    await assert.rejects(storage.read(10, 5), (err) => isStorageError(err, 'outside-folder'));
    await assert.rejects(storage.stat(), (err) => isStorageError(err, 'outside-folder'));
    await storage.close();
    // Only the well-behaved file's first bytes may have landed, inside the download folder.
    assert.deepEqual(
      tree(parent).filter((p) => !p.startsWith('downloads')),
      before.filter((p) => !p.startsWith('downloads')),
    );
    assert.ok(tree(downloads).every((p) => p === 't' || p === path.join('t', 'fine.bin')), tree(downloads).join(', '));
  });
}

test('FsStorage refuses a symlinked folder that points outside, and writes nothing there', async (t) => {
  const parent = tempDir(t);
  const downloads = path.join(parent, 'downloads');
  const outside = path.join(parent, 'outside');
  mkdirSync(path.join(downloads, 't'), { recursive: true });
  mkdirSync(outside);
  symlinkSync(outside, path.join(downloads, 't', 'sub'));
  const { meta, data } = makeTorrent(
    [
      { path: ['t', 'a.bin'], length: 10 },
      { path: ['t', 'sub', 'b.bin'], length: 10 },
      { path: ['t', 'sub', 'empty'], length: 0 },
    ],
    8,
  );
  const storage = new FsStorage(meta, downloads);
  await assert.rejects(storage.prepare(), (err) => isStorageError(err, 'outside-folder'));
  await assert.rejects(storage.write(0, data), (err) => isStorageError(err, 'outside-folder'));
  await assert.rejects(storage.read(10, 10), (err) => isStorageError(err, 'outside-folder'));
  await assert.rejects(storage.stat(), (err) => isStorageError(err, 'outside-folder'));
  await storage.close();
  assert.deepEqual(readdirSync(outside), []);
});

test('FsStorage refuses a symlinked file that points outside, dangling or not', async (t) => {
  const parent = tempDir(t);
  const downloads = path.join(parent, 'downloads');
  const outside = path.join(parent, 'outside');
  mkdirSync(path.join(downloads, 't'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'victim'), 'original');
  symlinkSync(path.join(outside, 'victim'), path.join(downloads, 't', 'a.bin'));
  symlinkSync(path.join(outside, 'not-yet'), path.join(downloads, 't', 'b.bin'));
  const { meta, data } = makeTorrent(
    [
      { path: ['t', 'a.bin'], length: 8 },
      { path: ['t', 'b.bin'], length: 8 },
    ],
    8,
  );
  const storage = new FsStorage(meta, downloads);
  await assert.rejects(storage.write(0, data.subarray(0, 8)), (err) => isStorageError(err, 'outside-folder'));
  await assert.rejects(storage.read(0, 8), (err) => isStorageError(err, 'outside-folder'));
  await assert.rejects(storage.write(8, data.subarray(8)), (err) => isStorageError(err, 'outside-folder'));
  await storage.close();
  assert.equal(readFileSync(path.join(outside, 'victim'), 'utf8'), 'original');
  assert.deepEqual(readdirSync(outside), ['victim']);
});

test('FsStorage follows symlinks that stay inside the download folder', async (t) => {
  const downloads = tempDir(t);
  mkdirSync(path.join(downloads, 'elsewhere'));
  mkdirSync(path.join(downloads, 't'));
  symlinkSync(path.join(downloads, 'elsewhere'), path.join(downloads, 't', 'sub'));
  const { meta, data } = makeTorrent([{ path: ['t', 'sub', 'b.bin'], length: 10 }], 8);
  const storage = new FsStorage(meta, downloads);
  await storage.prepare();
  await storage.write(0, data);
  assert.deepEqual(await storage.read(0, 10), data);
  await storage.close();
  assert.deepEqual(readFileSync(path.join(downloads, 'elsewhere', 'b.bin')), data);
});
