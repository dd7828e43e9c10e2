import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileEndedError, type Hasher, inlineHasher, workerHasher } from '../../src/env/hasher.js';

const sha1 = (...chunks: Buffer[]) => {
  const hash = createHash('sha1');
  for (const c of chunks) hash.update(c);
  return hash.digest();
};

async function streamed(hasher: Hasher, chunks: Buffer[]): Promise<Buffer> {
  const job = hasher.start();
  for (const chunk of chunks) await job.update(chunk);
  return job.digest();
}

for (const [name, make] of [
  ['inline', () => inlineHasher],
  ['worker threads', () => workerHasher(2)],
] as const) {
  test(`${name}: streamed jobs and whole buffers hash as createHash does, many at once`, async () => {
    const hasher = make();
    try {
      // Own ArrayBuffers (moved), views into a shared slab (copied), empty input.
      const owned = Array.from({ length: 5 }, () => Buffer.from(randomBytes(100_000)));
      const slab = randomBytes(64 * 1024);
      const views = [slab.subarray(0, 1000), slab.subarray(1000, 30_000), slab.subarray(30_000)];
      const expected = [sha1(...owned), sha1(...views), sha1()];
      const jobs = await Promise.all([
        streamed(hasher, owned.map((b) => Buffer.from(b))),
        streamed(hasher, views),
        streamed(hasher, []),
        ...Array.from({ length: 20 }, (_, i) => streamed(hasher, [Buffer.from(`piece ${i}`)])),
      ]);
      assert.deepEqual(jobs.slice(0, 3), expected);
      jobs.slice(3).forEach((digest, i) => assert.deepEqual(digest, sha1(Buffer.from(`piece ${i}`))));
      assert.ok(slab.equals(Buffer.concat(views)), 'a shared slab is untouched (its views were copied)');

      // Scratch buffers move to the thread and are recycled; the digests stay right.
      const chunks = Array.from({ length: 6 }, () => randomBytes(200_000));
      const job = hasher.start();
      for (const chunk of chunks) {
        const scratch = hasher.scratch(chunk.length);
        chunk.copy(scratch);
        await job.update(scratch);
      }
      assert.deepEqual(await job.digest(), sha1(...chunks));
      // Consecutive slices of one chunk, each its own digest (small pieces in one message).
      const run = randomBytes(50_000);
      const lengths = [16_384, 16_384, 17_232];
      assert.deepEqual(await hasher.hashEach(Buffer.from(run), lengths), [
        sha1(run.subarray(0, 16_384)),
        sha1(run.subarray(16_384, 32_768)),
        sha1(run.subarray(32_768)),
      ]);
      const last = randomBytes(1000);
      const ended = hasher.start();
      await ended.update(Buffer.from(chunks[0]!));
      assert.deepEqual(await ended.digest(Buffer.from(last)), sha1(chunks[0]!, last), 'digest(last) adds the last chunk first');
    } finally {
      await hasher.close();
    }
  });
}

test('worker threads: an aborted job and a closed hasher fail cleanly', async () => {
  const hasher = workerHasher(1);
  const job = hasher.start();
  await job.update(Buffer.from('x'));
  job.abort();
  await assert.rejects(job.update(Buffer.from('y')), /finished/);
  await hasher.close();
  assert.throws(() => hasher.start(), /closed/);
});

test('worker threads: a read job reads files itself and hashes pieces across extents, padding zeros and file ends', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-hasher-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = randomBytes(300_000);
  const b = randomBytes(123_456);
  writeFileSync(path.join(dir, 'a'), a);
  writeFileSync(path.join(dir, 'b'), b);
  const fdA = openSync(path.join(dir, 'a'), 'r');
  const fdB = openSync(path.join(dir, 'b'), 'r');
  t.after(() => (closeSync(fdA), closeSync(fdB)));
  const hasher = workerHasher(2);
  try {
    // Bytes 1000.. of a, 5000 zeros, then b; pieces cut across every extent edge.
    const bytes = Buffer.concat([a.subarray(1000), Buffer.alloc(5000), b]);
    const lengths = [100_000, 250_000, bytes.length - 350_000];
    const job = hasher.readPieces!(lengths);
    const digests = [
      ...(await job.add({ fd: fdA, position: 1000, length: a.length - 1000 })),
      ...(await job.add({ length: 5000 })),
      ...(await job.add({ fd: fdB, position: 0, length: b.length })),
    ];
    let at = 0;
    assert.deepEqual(
      digests,
      lengths.map((length) => sha1(bytes.subarray(at, (at += length)))),
    );
    await assert.rejects(job.add({ fd: fdB, position: 0, length: 1 }), /finished/, 'a finished job takes nothing more');

    const cutShort = hasher.readPieces!([200_000]);
    await assert.rejects(cutShort.add({ fd: fdB, position: 0, length: 200_000 }), FileEndedError);
    const badFd = hasher.readPieces!([10]);
    await assert.rejects(badFd.add({ fd: 1_000_000, position: 0, length: 10 }), { code: 'EBADF' });
    const tooMany = hasher.readPieces!([10]);
    await assert.rejects(tooMany.add({ length: 11 }), /more bytes than the pieces hold/);

    // Given up with an extent in flight: that extent is still answered (its descriptor is released).
    const given = hasher.readPieces!([a.length]);
    const inFlight = given.add({ fd: fdA, position: 0, length: 1000 });
    given.abort();
    assert.deepEqual(await inFlight, []);
    await assert.rejects(given.add({ fd: fdA, position: 1000, length: 1000 }), /finished/);
  } finally {
    await hasher.close();
  }
});

test('worker threads started up front (startNow) hash as well, and idle ones never keep the process alive', async () => {
  const hasher = workerHasher(2, { startNow: true });
  try {
    assert.deepEqual(await hasher.hashEach(Buffer.from('abcdef'), [3, 3]), [sha1(Buffer.from('abc')), sha1(Buffer.from('def'))]);
  } finally {
    await hasher.close();
  }
  // A process that starts threads and never uses or closes them still exits by itself.
  const program = `import(${JSON.stringify(new URL('../../src/env/hasher.ts', import.meta.url).href)}).then(({ workerHasher }) => { workerHasher(2, { startNow: true }); console.log('started'); });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--eval', program], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.stdout.trim(), 'started', child.stderr);
  assert.equal(child.status, 0, `exit ${String(child.status)} (signal ${String(child.signal)}): ${child.stderr}`);
});
