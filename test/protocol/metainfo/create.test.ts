import { type TestContext, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { PieceHasher, choosePieceLength, parseTorrent } from '../../../src/protocol/metainfo/index.js';
import { createTorrentFromPath } from '../../../src/storage/create-torrent.js';
import { requireTool } from '../../support/tools.js';

function withTempDir(fn: (dir: string, t: TestContext) => Promise<void>) {
  return async (t: TestContext) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-create-'));
    try {
      await fn(dir, t);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('PieceHasher gives the same hashes whatever the chunking', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 20 }), (data, pieceLength, cuts) => {
      const whole = new PieceHasher(pieceLength);
      whole.push(data);
      const chunked = new PieceHasher(pieceLength);
      let at = 0;
      for (const cut of cuts) {
        chunked.push(data.subarray(at, at + cut));
        at += cut;
      }
      chunked.push(data.subarray(at));
      const expected: Buffer[] = [];
      for (let i = 0; i < data.length; i += pieceLength) {
        expected.push(createHash('sha1').update(data.subarray(i, i + pieceLength)).digest());
      }
      assert.deepEqual(chunked.finish(), Buffer.concat(expected));
      assert.deepEqual(whole.finish(), Buffer.concat(expected));
    }),
    { numRuns: 300, seed: 3 },
  );
});

test('choosePieceLength: powers of two from 16 KiB to 16 MiB, about 2000 pieces at most', () => {
  assert.equal(choosePieceLength(1), 16 * 1024);
  assert.equal(choosePieceLength(64 * 1024 * 1024), 64 * 1024);
  assert.equal(choosePieceLength(4 * 1024 ** 3), 4 * 1024 * 1024);
  assert.equal(choosePieceLength(10 * 1024 ** 4), 16 * 1024 * 1024);
  for (const size of [1, 1e6, 3e8, 7e9, 1e12]) {
    const pl = choosePieceLength(size);
    assert.equal(pl & (pl - 1), 0);
    assert.ok(size / pl <= 2000 || pl === 16 * 1024 * 1024);
  }
});

test(
  'a created single-file torrent parses back with the right layout and hashes',
  withTempDir(async (dir) => {
    const data = randomBytes(100_000);
    writeFileSync(path.join(dir, 'payload.bin'), data);
    const { torrent } = await createTorrentFromPath(path.join(dir, 'payload.bin'), {
      pieceLength: 32768,
      trackers: ['http://127.0.0.1:6969/announce', 'udp://127.0.0.1:6969'],
      private: true,
      comment: 'hello',
      createdBy: 'actorrent test',
      creationDate: 1_700_000_000,
    });
    const meta = parseTorrent(torrent);
    assert.equal(meta.name, 'payload.bin');
    assert.equal(meta.length, 100_000);
    assert.equal(meta.pieceCount, 4);
    assert.equal(meta.multiFile, false);
    assert.equal(meta.private, true);
    assert.deepEqual(meta.announce, [['http://127.0.0.1:6969/announce'], ['udp://127.0.0.1:6969']]);
    assert.equal(meta.comment, 'hello');
    assert.equal(meta.createdBy, 'actorrent test');
    assert.equal(meta.creationDate, 1_700_000_000);
    assert.deepEqual(meta.warnings, []);
    assert.deepEqual(meta.pieceHashes.subarray(60), createHash('sha1').update(data.subarray(98304)).digest());
  }),
);

test(
  'refuses empty content with a clear error',
  withTempDir(async (dir) => {
    writeFileSync(path.join(dir, 'empty'), '');
    await assert.rejects(createTorrentFromPath(path.join(dir, 'empty')), /nothing to share/);
    mkdirSync(path.join(dir, 'folder'));
    await assert.rejects(createTorrentFromPath(path.join(dir, 'folder')), /holds no files/);
  }),
);

function makeTree(dir: string) {
  const root = path.join(dir, 'tree');
  mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  mkdirSync(path.join(root, 'a-b'));
  writeFileSync(path.join(root, 'a', 'b', 'deep.bin'), randomBytes(70_000));
  writeFileSync(path.join(root, 'a-b', 'x.txt'), randomBytes(1234));
  writeFileSync(path.join(root, 'a', 'zero-length'), '');
  writeFileSync(path.join(root, 'Z.txt'), 'upper case sorts first');
  writeFileSync(path.join(root, 'ünïcödé.txt'), randomBytes(5000));
  return root;
}

test(
  'a created multi-file torrent has every file, in path byte order, zero-length included',
  withTempDir(async (dir) => {
    const { torrent } = await createTorrentFromPath(makeTree(dir), { pieceLength: 16384, creationDate: null });
    const meta = parseTorrent(torrent);
    assert.equal(meta.multiFile, true);
    assert.deepEqual(
      meta.files.map((f) => f.path.join('/')),
      // Full-path byte order, as mktorrent: 'a-b/…' before 'a/…' because '-' < '/'.
      ['tree/Z.txt', 'tree/a-b/x.txt', 'tree/a/b/deep.bin', 'tree/a/zero-length', 'tree/ünïcödé.txt'],
    );
    assert.equal(meta.files[3]!.length, 0);
    assert.equal(meta.creationDate, undefined);
  }),
);

test(
  'same infohash as mktorrent for a single file and for a folder, with the same piece length',
  withTempDir(async (dir, t) => {
    if (!requireTool(t, ['mktorrent', '-h'], 'mktorrent')) return;
    const file = path.join(dir, 'single.bin');
    writeFileSync(file, randomBytes(1_000_003));
    const tree = makeTree(dir);
    for (const [target, log2] of [[file, 15], [file, 18], [tree, 15], [tree, 16]] as const) {
      const out = path.join(dir, `mk-${log2}-${path.basename(target)}.torrent`);
      execFileSync('mktorrent', ['-l', String(log2), '-a', 'http://127.0.0.1:6969/announce', '-o', out, target], { stdio: 'ignore', timeout: 60_000 });
      const theirs = parseTorrent(readFileSync(out));
      const ours = parseTorrent((await createTorrentFromPath(target, { pieceLength: 2 ** log2, trackers: ['http://127.0.0.1:6969/announce'] })).torrent);
      assert.equal(ours.infoHashHex, theirs.infoHashHex, `${path.basename(target)} with -l ${log2}`);
      assert.deepEqual(ours.infoBytes, theirs.infoBytes);
    }
  }),
);
