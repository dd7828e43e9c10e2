import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PieceCache } from '../../src/engine/piece-cache.js';

function source(totalLength: number) {
  const data = Buffer.from(Array.from({ length: totalLength }, (_, i) => (i * 7) & 0xff));
  const reads: [number, number][] = [];
  return {
    data,
    reads,
    readRange: async (offset: number, length: number) => {
      reads.push([offset, length]);
      return Buffer.from(data.subarray(offset, offset + length));
    },
  };
}

test('the blocks of a piece cost one read of the whole piece', async () => {
  const src = source(100_000);
  const cache = new PieceCache({ pieceLength: 32768, pieceCount: 4, totalLength: 100_000 }, src.readRange);
  for (let begin = 0; begin < 32768; begin += 16384) {
    assert.deepEqual(await cache.read(32768 + begin, 16384), src.data.subarray(32768 + begin, 32768 + begin + 16384));
  }
  assert.deepEqual(src.reads, [[32768, 32768]]);
  // The short last piece is read with its own size.
  assert.deepEqual(await cache.read(98304, 1696), src.data.subarray(98304));
  assert.deepEqual(src.reads.at(-1), [98304, 1696]);
});

test('the least recently used piece leaves first when the budget is full', async () => {
  const src = source(4 * 1024);
  const cache = new PieceCache({ pieceLength: 1024, pieceCount: 4, totalLength: 4096 }, src.readRange, 2048);
  await cache.read(0, 10); // piece 0
  await cache.read(1024, 10); // piece 1
  await cache.read(0, 10); // piece 0 again: now most recent
  await cache.read(2048, 10); // piece 2 evicts piece 1
  src.reads.length = 0;
  await cache.read(0, 10);
  assert.deepEqual(src.reads, [], 'piece 0 stayed');
  await cache.read(1024, 10);
  assert.deepEqual(src.reads, [[1024, 1024]], 'piece 1 was evicted');
});

test('pieces bigger than the budget are read block by block; failed reads are not cached', async () => {
  const src = source(8192);
  const cache = new PieceCache({ pieceLength: 4096, pieceCount: 2, totalLength: 8192 }, src.readRange, 1024);
  await cache.read(16, 32);
  await cache.read(48, 32);
  assert.deepEqual(src.reads, [[16, 32], [48, 32]]);

  let fail = true;
  const flaky = new PieceCache({ pieceLength: 1024, pieceCount: 2, totalLength: 2048 }, async (o, l) => {
    if (fail) throw new Error('disk hiccup');
    return Buffer.alloc(l, o);
  });
  await assert.rejects(flaky.read(0, 16), /disk hiccup/);
  fail = false;
  assert.equal((await flaky.read(0, 16)).length, 16);
});

test('an evicted piece’s buffer is read into again only once every block served from it was released', async () => {
  const data = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff));
  const intos: (Buffer | undefined)[] = [];
  const readRange = async (offset: number, length: number, into?: Buffer) => {
    intos.push(into);
    const out = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    data.copy(out, 0, offset, offset + length);
    return out;
  };
  // Room for one 1 KiB piece: each new piece evicts the last.
  const cache = new PieceCache({ pieceLength: 1024, pieceCount: 4, totalLength: 4096 }, readRange, 1024);
  const pinned = await cache.read(0, 16); // piece 0, not released: its buffer must stay as it is
  const released = await cache.read(1024, 16); // piece 1 evicts piece 0
  cache.release(released);
  await cache.read(2048, 16); // piece 2 evicts piece 1, whose block was released
  await new Promise((resolve) => setImmediate(resolve));
  const third = await cache.read(3072, 16); // piece 3: may reuse piece 1's buffer, never piece 0's

  assert.equal(intos.length, 4);
  const memoryOf = (b: Buffer | undefined) => b?.buffer;
  assert.notEqual(memoryOf(intos[3]), pinned.buffer, 'a pinned buffer is not reused');
  assert.equal(memoryOf(intos[3]), memoryOf(intos[1]), 'the released piece’s buffer is reused');
  assert.deepEqual(pinned, data.subarray(0, 16), 'the pinned block still holds its bytes');
  assert.deepEqual(third, data.subarray(3072, 3088));
  cache.release(pinned);
});

test('blocks released as not reusable (a uTP or encrypted socket may still hold them): their buffers are never read into again, and nothing is kept for them', async () => {
  const data = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) & 0xff));
  const intos = new Set<ArrayBufferLike>();
  const readRange = async (offset: number, length: number, into?: Buffer) => {
    if (into) intos.add(into.buffer);
    const out = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    data.copy(out, 0, offset, offset + length);
    return out;
  };
  const cache = new PieceCache({ pieceLength: 1024, pieceCount: 64, totalLength: 64 * 1024 }, readRange, 2048);
  const served: Buffer[] = [];
  for (let index = 0; index < 64; index++) {
    const block = await cache.read(index * 1024, 512);
    served.push(block);
    cache.release(block, false);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(intos.size, 64, 'every piece got a buffer of its own');
  assert.ok(cache.trackedPieces <= 2, `${cache.trackedPieces} pieces still tracked for a 2-piece budget`);
  served.forEach((block, index) => assert.deepEqual(block, data.subarray(index * 1024, index * 1024 + 512), `block ${index} unchanged`));
});

test('a storage that answers with its own memory instead of the buffer offered: nothing stays pinned', async () => {
  const src = source(64 * 1024);
  const cache = new PieceCache({ pieceLength: 1024, pieceCount: 64, totalLength: 64 * 1024 }, src.readRange, 2048);
  for (let index = 0; index < 64; index++) {
    const block = await cache.read(index * 1024, 100);
    assert.deepEqual(block, src.data.subarray(index * 1024, index * 1024 + 100));
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(cache.trackedPieces <= 2, `${cache.trackedPieces} pieces tracked for a 2-piece budget`);
});
