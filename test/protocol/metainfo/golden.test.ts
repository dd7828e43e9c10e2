/**
 * Golden torrents from mktorrent 1.1 and libtorrent 2.0.8 (test/fixtures/metainfo/README.md). The
 * expected values are what libtorrent's torrent_info read in each file, not what our parser says;
 * the payloads are rebuilt here from the same formula, so every piece hash is checked too.
 */
import { type TestContext, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Metainfo, parseTorrent, pieceHash } from '../../../src/protocol/metainfo/index.js';
import { createTorrentFromPath } from '../../../src/storage/create-torrent.js';

const fixtures = fileURLToPath(new URL('../../fixtures/metainfo/', import.meta.url));
const TRACKER = 'http://127.0.0.1:6969/announce';
const PIECE_LENGTH = 32 * 1024;

/** The payload files, as PAYLOADS in make_golden.py: path, size, seed. */
const PAYLOADS: [string, number, number][] = [
  ['golden-single.bin', 200_000, 0],
  ['golden-tree/alpha.bin', 70_000, 1],
  ['golden-tree/empty.dat', 0, 2],
  ['golden-tree/sub/beta.bin', 45_001, 3],
  ['golden-tree/sub/deeper/gamma.txt', 3_333, 4],
];

/** Byte i of a file with seed s; the (i >> 10) term keeps whole pieces from repeating. */
function payloadBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7 + seed * 101 + (i >> 10)) & 0xff;
  return out;
}

interface Expected {
  infohash: string;
  name: string;
  pieceCount: number;
  totalSize: number;
  hybrid: boolean;
  /** [path, length, padding] in torrent order. */
  files: [string, number, boolean][];
}

const SINGLE_FILES: Expected['files'] = [['golden-single.bin', 200_000, false]];
const TREE_FILES: Expected['files'] = [
  ['golden-tree/alpha.bin', 70_000, false],
  ['golden-tree/empty.dat', 0, false],
  ['golden-tree/sub/beta.bin', 45_001, false],
  ['golden-tree/sub/deeper/gamma.txt', 3_333, false],
];
const single = { infohash: 'e96124c7408923d2d07dfa4d78f7cf5475a42b99', name: 'golden-single.bin', pieceCount: 7, totalSize: 200_000, hybrid: false, files: SINGLE_FILES };
const tree = { infohash: '01c52ba858dffc6a6883412d15842add24a0096a', name: 'golden-tree', pieceCount: 4, totalSize: 118_334, hybrid: false, files: TREE_FILES };

const GOLDEN: Record<string, Expected> = {
  'mktorrent-single.torrent': single,
  'mktorrent-tree.torrent': tree,
  // libtorrent's v1-only torrents have the very info dictionaries mktorrent wrote.
  'libtorrent-v1-single.torrent': single,
  'libtorrent-v1-tree.torrent': tree,
  // Hybrid v1+v2: BEP 47 pad files align every file to a piece, the last one included.
  'libtorrent-hybrid-tree.torrent': {
    infohash: '16ae9ea20e9fd931cad7d2a62a2d68c416c045d4',
    name: 'golden-tree',
    pieceCount: 6,
    totalSize: 196_608,
    hybrid: true,
    files: [
      ['golden-tree/alpha.bin', 70_000, false],
      ['golden-tree/.pad/28304', 28_304, true],
      ['golden-tree/empty.dat', 0, false],
      ['golden-tree/sub/beta.bin', 45_001, false],
      ['golden-tree/.pad/20535', 20_535, true],
      ['golden-tree/sub/deeper/gamma.txt', 3_333, false],
      ['golden-tree/.pad/29435', 29_435, true],
    ],
  },
};

function load(name: string): Metainfo {
  return parseTorrent(readFileSync(path.join(fixtures, name)));
}

function withPayload(fn: (root: string, t: TestContext) => Promise<void>) {
  return async (t: TestContext) => {
    const root = mkdtempSync(path.join(tmpdir(), 'actorrent-golden-'));
    try {
      for (const [rel, size, seed] of PAYLOADS) {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), payloadBytes(size, seed));
      }
      await fn(root, t);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

for (const [fixture, expected] of Object.entries(GOLDEN)) {
  test(`${fixture}: name, infohash, files, pieces and announce as libtorrent read them`, () => {
    const meta = load(fixture);
    assert.equal(meta.infoHashHex, expected.infohash);
    assert.equal(meta.name, expected.name);
    assert.equal(meta.multiFile, expected.files.length > 1);
    assert.equal(meta.hybrid, expected.hybrid);
    assert.deepEqual(
      meta.files.map((f) => [f.path.join('/'), f.length, f.padding]),
      expected.files,
    );
    let offset = 0;
    for (const f of meta.files) {
      assert.equal(f.offset, offset, f.path.join('/'));
      offset += f.length;
    }
    assert.equal(meta.length, expected.totalSize);
    assert.equal(meta.pieceLength, PIECE_LENGTH);
    assert.equal(meta.pieceCount, expected.pieceCount);
    assert.equal(meta.pieceHashes.length, expected.pieceCount * 20);
    assert.deepEqual(meta.announce, [[TRACKER]]);
    assert.equal(meta.private, false);
    assert.equal(meta.creationDate, undefined);
    if (!expected.hybrid) assert.deepEqual(meta.warnings, []);
  });

  test(
    `${fixture}: every piece hash matches the rebuilt payload`,
    withPayload(async (root) => {
      const meta = load(fixture);
      // The torrent's byte space: files in order, pad files as zeros.
      const space = Buffer.concat(meta.files.map((f) => (f.padding ? Buffer.alloc(f.length) : readFileSync(path.join(root, ...f.path)))));
      assert.equal(space.length, meta.length);
      for (let i = 0; i < meta.pieceCount; i++) {
        const piece = space.subarray(i * meta.pieceLength, (i + 1) * meta.pieceLength);
        assert.deepEqual(createHash('sha1').update(piece).digest(), pieceHash(meta, i), `piece ${i}`);
      }
    }),
  );
}

test(
  'createTorrentFromPath over the rebuilt payloads writes the info dictionaries mktorrent wrote',
  withPayload(async (root) => {
    for (const [fixture, target] of [
      ['mktorrent-single.torrent', 'golden-single.bin'],
      ['mktorrent-tree.torrent', 'golden-tree'],
    ] as const) {
      const theirs = load(fixture);
      const { torrent } = await createTorrentFromPath(path.join(root, target), { pieceLength: PIECE_LENGTH, trackers: [TRACKER], creationDate: null });
      const ours = parseTorrent(torrent);
      assert.equal(ours.infoHashHex, GOLDEN[fixture]!.infohash, fixture);
      assert.deepEqual(ours.infoBytes, theirs.infoBytes, fixture);
      assert.deepEqual(ours.announce, theirs.announce, fixture);
    }
  }),
);

test('the rebuilt payload is the one the fixtures were made from: one changed byte breaks its piece', () => {
  const meta = load('mktorrent-single.torrent');
  const data = payloadBytes(200_000, 0);
  data[40_000] = data[40_000]! ^ 0xff; // inside piece 1
  const hashes = Array.from({ length: meta.pieceCount }, (_, i) => createHash('sha1').update(data.subarray(i * PIECE_LENGTH, (i + 1) * PIECE_LENGTH)).digest());
  assert.deepEqual(
    hashes.map((h, i) => h.equals(pieceHash(meta, i))),
    [true, false, true, true, true, true, true],
  );
});
