import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, readSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { FsStorage, fsStorageFactory } from '../../src/storage/fs-storage.js';
import { isStorageError, toStorageError } from '../../src/storage/storage.js';
import { storageContract } from './contract.js';
import { awkwardTorrent, makeTorrent, tempDir, writeFilesDirectly } from './helpers.js';

storageContract('FsStorage', (t, meta) => new FsStorage(meta, path.join(tempDir(t), 'downloads')));

test('FsStorage: files on disk hold exactly their bytes; no padding file or symlink entry is created', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  const storage = fsStorageFactory().open(meta, dir);
  await storage.prepare();
  for (let piece = 0; piece < meta.pieceCount; piece++) {
    await storage.write(piece * meta.pieceLength, data.subarray(piece * meta.pieceLength, (piece + 1) * meta.pieceLength));
  }
  await storage.flush();
  await storage.close();
  for (const file of meta.files) {
    const onDisk = path.join(dir, ...file.path);
    if (file.padding || file.symlinkTarget) assert.equal(existsSync(onDisk), false, `${file.path.join('/')} must not exist`);
    else assert.deepEqual(readFileSync(onDisk), data.subarray(file.offset, file.offset + file.length), file.path.join('/'));
  }
  assert.deepEqual(readdirSync(path.join(dir, 'multi')).sort(), ['a.bin', 'd.bin', 'empty-first', 'sub', 'z']);
});

test('FsStorage: writeBlocks lays uneven blocks across file boundaries and padding exactly as one write would', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  const storage = fsStorageFactory().open(meta, dir);
  await storage.prepare();
  // Blocks of odd sizes (1, 7, 300 … bytes) so block edges fall on both sides of every file edge.
  const sizes = [1, 7, 300, 4096, 13];
  for (let piece = 0; piece < meta.pieceCount; piece++) {
    const piecePart = data.subarray(piece * meta.pieceLength, (piece + 1) * meta.pieceLength);
    const blocks: Buffer[] = [];
    for (let at = 0, i = 0; at < piecePart.length; i++) {
      const size = sizes[i % sizes.length]!;
      blocks.push(piecePart.subarray(at, at + size));
      at += size;
    }
    await storage.writeBlocks!(piece * meta.pieceLength, blocks);
  }
  await storage.close();
  for (const file of meta.files) {
    if (file.padding || file.symlinkTarget) continue;
    assert.deepEqual(readFileSync(path.join(dir, ...file.path)), data.subarray(file.offset, file.offset + file.length), file.path.join('/'));
  }
});

test('FsStorage: prepare creates folders and zero-length files, and never truncates what is there', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data);
  // A zero-length entry that already has bytes on disk, and a longer-than-expected file: both kept.
  writeFileSync(path.join(dir, 'multi', 'empty-first'), 'keep me');
  writeFileSync(path.join(dir, 'multi', 'd.bin'), Buffer.concat([data.subarray(1329, 3329), Buffer.from('tail')]));
  const storage = new FsStorage(meta, dir);
  await storage.prepare();
  await storage.write(0, data.subarray(0, 10));
  await storage.close();
  assert.equal(readFileSync(path.join(dir, 'multi', 'empty-first'), 'utf8'), 'keep me');
  assert.equal(statSync(path.join(dir, 'multi', 'd.bin')).size, 2004);
  assert.deepEqual(readFileSync(path.join(dir, 'multi', 'a.bin')), data.subarray(0, 1000));

  const fresh = tempDir(t);
  const again = new FsStorage(meta, path.join(fresh, 'not', 'yet'));
  await again.prepare();
  await again.close();
  for (const rel of ['empty-first', 'sub/deeper/empty-middle', 'z/empty-last']) {
    assert.equal(statSync(path.join(fresh, 'not', 'yet', 'multi', rel)).size, 0, rel);
  }
  assert.equal(existsSync(path.join(fresh, 'not', 'yet', 'multi', 'a.bin')), false, 'files with data are created by their first write');
});

test('FsStorage: 200 files through 8 handles read and write correctly, never more than 8 open', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = makeTorrent(
    Array.from({ length: 200 }, (_, i) => ({ path: ['many', `f${String(i).padStart(3, '0')}`], length: 37 + (i % 5) })),
    64,
  );
  const storage = new FsStorage(meta, dir, { maxOpenFiles: 8 });
  // Sequential, then concurrent, writes and reads in orders that defeat any recency.
  for (let at = 0; at < meta.length; at += 100) await storage.write(at, data.subarray(at, at + 100));
  const chunks = Array.from({ length: Math.ceil(meta.length / 50) }, (_, i) => i * 50).reverse();
  const reads = await Promise.all(chunks.map((at) => storage.read(at, Math.min(50, meta.length - at))));
  assert.deepEqual(Buffer.concat(reads.reverse()), data);
  await Promise.all(chunks.map((at) => storage.write(at, data.subarray(at, at + 50))));
  assert.ok(storage.openFiles.peak <= 8, `peak ${storage.openFiles.peak} handles`);
  assert.ok(storage.openFiles.peak >= 2);
  await storage.flush();
  await storage.close();
  assert.equal(storage.openFiles.now, 0);
  for (const file of meta.files) assert.deepEqual(readFileSync(path.join(dir, ...file.path)), data.subarray(file.offset, file.offset + file.length));
});

test('FsStorage: stat reports size and mtime of each file, undefined for missing and padding', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data, [6]);
  const stats = await new FsStorage(meta, dir).stat();
  assert.equal(stats.length, meta.files.length);
  for (const [index, file] of meta.files.entries()) {
    if (file.padding || file.symlinkTarget || index === 6) assert.equal(stats[index], undefined, file.path.join('/'));
    else assert.deepEqual(stats[index], { size: file.length, mtimeMs: statSync(path.join(dir, ...file.path)).mtimeMs });
  }
  assert.deepEqual(await new FsStorage(meta, path.join(dir, 'nowhere')).stat(), meta.files.map(() => undefined));
});

test('FsStorage: a directory where a file should be is reported, not read', async (t) => {
  const dir = tempDir(t);
  const { meta } = makeTorrent([{ path: ['x', 'a'], length: 10 }, { path: ['x', 'b'], length: 10 }], 16);
  mkdirSync(path.join(dir, 'x', 'a'), { recursive: true });
  const storage = new FsStorage(meta, dir);
  await assert.rejects(storage.read(0, 5), (err) => isStorageError(err, 'not-a-file'));
  await assert.rejects(storage.write(0, Buffer.alloc(5)), (err) => isStorageError(err, 'not-a-file'));
  assert.equal((await storage.stat())[0], undefined);
  await storage.close();
});

test('FsStorage: a read-only file can still be read; writing it fails with a typed error', async (t) => {
  if (process.getuid?.() === 0) return t.skip('root ignores file permissions');
  const dir = tempDir(t);
  const { meta, data } = makeTorrent([{ path: ['ro.bin'], length: 100 }], 64);
  writeFilesDirectly(dir, meta, data);
  chmodSync(path.join(dir, 'ro.bin'), 0o444);
  const storage = new FsStorage(meta, dir);
  assert.deepEqual(await storage.read(0, 100), data);
  await assert.rejects(storage.write(0, Buffer.alloc(1)), (err) => isStorageError(err, 'permission-denied'));
  await storage.close();
});

test('node errors map to storage error codes with one-line messages', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: something\nstack`), { code });
  assert.equal(toStorageError(errno('ENOSPC'), 'write a').code, 'no-space');
  assert.equal(toStorageError(errno('EDQUOT'), 'write a').code, 'no-space');
  assert.equal(toStorageError(errno('EROFS'), 'write a').code, 'read-only');
  assert.equal(toStorageError(errno('EACCES'), 'write a').code, 'permission-denied');
  assert.equal(toStorageError(errno('EPERM'), 'write a').code, 'permission-denied');
  assert.equal(toStorageError(errno('ENOENT'), 'read a').code, 'missing-data');
  const other = toStorageError(errno('EIO'), 'read a');
  assert.equal(other.code, 'io');
  assert.equal(other.message, 'cannot read a: EIO: something');
  assert.equal(toStorageError(errno('ENOSPC'), 'write a/b').message, 'cannot write a/b: no space left on the device');
});

test('FsStorage: eachFileExtent gives readable descriptors for a range across files, padding as lengths, and fails on a missing file before any', async (t) => {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data);
  const storage = new FsStorage(meta, dir);
  // Bytes 900..1400: the end of a.bin, the padding, b.bin, c.bin and the start of d.bin.
  const parts: Buffer[] = [];
  await storage.eachFileExtent(900, 500, async (extent) => {
    if (extent.fd === undefined) return void parts.push(Buffer.alloc(extent.length));
    const bytes = Buffer.alloc(extent.length);
    assert.equal(readSync(extent.fd, bytes, 0, extent.length, extent.position), extent.length);
    parts.push(bytes);
  });
  assert.equal(parts.length, 5);
  assert.deepEqual(Buffer.concat(parts), data.subarray(900, 1400));
  await storage.close();
  await assert.rejects(storage.eachFileExtent(0, 1, async () => undefined), (err) => isStorageError(err, 'closed'));

  const gappy = new FsStorage(meta, tempDir(t));
  let used = 0;
  await assert.rejects(
    gappy.eachFileExtent(0, 100, async () => void used++),
    (err) => isStorageError(err, 'missing-data'),
  );
  assert.equal(used, 0);
  await gappy.close();
});
