import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { checkExisting, verifyPiece } from '../../src/storage/piece-verifier.js';
import { makeTorrent, setBits, tempDir } from './helpers.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

/** SHA-1 of `length` zero bytes, hashed a MiB at a time. */
function zerosHash(length: number): Buffer {
  const hash = createHash('sha1');
  const zeros = Buffer.alloc(MiB);
  for (let done = 0; done < length; done += MiB) hash.update(zeros.subarray(0, Math.min(MiB, length - done)));
  return hash.digest();
}

/** Peak RSS above the starting point while `run` works, sampled every few ms. */
async function rssGrowth(run: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  try {
    await run();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage.rss()) - start;
}

test('hashing a 256 MiB sparse file keeps memory bounded (pieces of 256 MiB and of 32 MiB)', async (t) => {
  const dir = tempDir(t);
  const { meta } = makeTorrent([{ path: ['big.bin'], length: 0 }], 1);
  const file = path.join(dir, 'big.bin');
  writeFileSync(file, '');
  truncateSync(file, SIZE);

  // One piece as long as the whole file (the limit is 512 MiB: a piece must never be held whole).
  const onePiece = { ...meta, length: SIZE, pieceLength: SIZE, pieceCount: 1, pieceHashes: zerosHash(SIZE), files: [{ ...meta.files[0]!, length: SIZE }] };
  const storage = new FsStorage(onePiece, dir);
  let verified: boolean | undefined;
  const growth = await rssGrowth(async () => {
    verified = await verifyPiece(storage, onePiece, 0);
  });
  await storage.close();
  assert.equal(verified, true);
  assert.ok(growth < 64 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB verifying one 256 MiB piece`);

  // Eight pieces of 32 MiB, one of them made wrong by a single byte.
  const piece = 32 * MiB;
  const eight = { ...onePiece, pieceLength: piece, pieceCount: 8, pieceHashes: Buffer.concat(Array.from({ length: 8 }, () => zerosHash(piece))) };
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([1]), 0, 1, 5 * piece + 12345);
  closeSync(fd);
  const again = new FsStorage(eight, dir);
  let have: Uint8Array | undefined;
  const checkGrowth = await rssGrowth(async () => {
    have = await checkExisting(again, eight);
  });
  await again.close();
  assert.deepEqual(setBits(have!, 8), [0, 1, 2, 3, 4, 6, 7]);
  assert.ok(checkGrowth < 64 * MiB, `RSS grew by ${(checkGrowth / MiB).toFixed(1)} MiB checking 256 MiB`);
});
