import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetainfoError, parseTorrent } from '../../../src/protocol/metainfo/index.js';

// libtorrent's conformance corpus, with its own list of what must load and what must fail.
const corpus = fileURLToPath(new URL('../../fixtures/libtorrent-test-torrents/', import.meta.url));
const expected = readFileSync(path.join(corpus, 'EXPECTED.md'), 'utf8');

function listUnder(heading: string): string[] {
  const section = expected.split(/^## /m).find((s) => s.startsWith(heading));
  assert.ok(section, `EXPECTED.md has no section "${heading}"`);
  return [...section.matchAll(/^- (\S+\.torrent)/gm)].map((m) => m[1]!);
}

const mustLoad = listUnder('Must load');
const mustFail = listUnder('Must fail');
const hybrids = new Set(['v2.torrent', 'v2_multipiece_file.torrent', 'v2_hybrid.torrent']);
// Hybrids whose v2 half is broken: with only the v1 half read, loading them is allowed (EXPECTED.md).
const brokenV2Hybrids = new Set(['v2_mismatching_metadata.torrent', 'v2_invalid_file.torrent', 'v2_bad_file_alignment.torrent']);
// The error libtorrent names for each v1 file, in our vocabulary.
const v1Errors: Record<string, string> = {
  'missing_piece_len.torrent': 'missing-piece-length',
  'invalid_piece_len.torrent': 'missing-piece-length',
  'negative_piece_len.torrent': 'missing-piece-length',
  'no_name.torrent': 'missing-name',
  'bad_name.torrent': 'invalid-bencoding',
  'invalid_name.torrent': 'missing-name',
  'invalid_info.torrent': 'missing-info',
  'string.torrent': 'not-a-torrent',
  'negative_size.torrent': 'invalid-length',
  'negative_file_size.torrent': 'invalid-length',
  'invalid_path_list.torrent': 'invalid-path',
  'missing_path_list.torrent': 'missing-name',
  'invalid_pieces.torrent': 'invalid-pieces',
  'unaligned_pieces.torrent': 'invalid-pieces',
  'invalid_file_size.torrent': 'invalid-length',
  'invalid_symlink.torrent': 'invalid-path',
  'many_pieces.torrent': 'too-many-pieces',
  'no_files.torrent': 'no-files',
  'zero.torrent': 'invalid-length',
  'zero2.torrent': 'invalid-length',
  'duplicate_files2.torrent': 'too-many-duplicate-filenames',
  'v2_deep_recursion.torrent': 'invalid-bencoding',
};

const load = (file: string) => parseTorrent(readFileSync(path.join(corpus, file)));

test('the corpus lists are complete (62 must load, 42 must fail)', () => {
  assert.equal(mustLoad.length, 62);
  assert.equal(mustFail.length, 42);
});

for (const file of mustLoad) {
  const v2Only = file.startsWith('v2') && !hybrids.has(file);
  if (v2Only) {
    test(`must refuse clearly (v2 only): ${file}`, () => {
      assert.throws(() => load(file), (err: unknown) => {
        assert.ok(err instanceof MetainfoError);
        assert.equal(err.code, 'v2-unsupported');
        assert.match(err.message, /v2 torrents are not supported yet/);
        return true;
      });
    });
    continue;
  }
  test(`must load, every path inside the download folder: ${file}`, () => {
    const meta = load(file);
    assert.equal(meta.infoHash.length, 20);
    assert.equal(meta.pieceHashes.length, meta.pieceCount * 20);
    assert.ok(meta.length > 0);
    const downloadDir = path.resolve('/downloads/target');
    let offset = 0;
    for (const f of meta.files) {
      assert.equal(f.offset, offset);
      offset += f.length;
      assert.ok(f.path.length >= 1);
      for (const component of f.path) {
        assert.ok(component.length > 0 && component !== '.' && component !== '..', `bad component ${JSON.stringify(component)}`);
        assert.ok(!/[/\\\u0000]/.test(component), `separator or NUL in ${JSON.stringify(component)}`);
      }
      const full = path.resolve(downloadDir, ...f.path);
      assert.ok(full.startsWith(downloadDir + path.sep), `${full} escapes ${downloadDir}`);
    }
    assert.equal(offset, meta.length);
    const paths = meta.files.filter((f) => !f.padding).map((f) => f.path.join('/'));
    assert.equal(new Set(paths).size, paths.length, 'two files share a path');
    if (hybrids.has(file)) assert.equal(meta.hybrid, true);
  });
}

for (const file of mustFail) {
  test(`must fail with a clear error: ${file}`, () => {
    let meta;
    try {
      meta = load(file);
    } catch (err) {
      assert.ok(err instanceof MetainfoError, `${file}: expected MetainfoError, got ${String(err)}`);
      assert.ok(err.message.length > 10 && !err.message.includes('\n'));
      if (brokenV2Hybrids.has(file)) return; // refused through its v1 half: any clear reason will do
      const code = v1Errors[file] ?? (file.startsWith('v2') ? 'v2-unsupported' : undefined);
      assert.ok(code, `no expected error listed for ${file}`);
      assert.equal(err.code, code, err.message);
      return;
    }
    assert.ok(brokenV2Hybrids.has(file), `${file} loaded but must fail`);
    assert.equal(meta.hybrid, true);
  });
}

test('specific sanitising outcomes match what libtorrent does', () => {
  assert.deepEqual(load('parent_path.torrent').files.map((f) => f.path.join('/')), ['temp/bar']);
  assert.deepEqual(load('hidden_parent_path.torrent').files[0]!.path, ['temp', 'foo......bar', 'bar']);
  assert.deepEqual(
    load('duplicate_files.torrent').files.map((f) => f.path.join('/')),
    ['temp/foo/bar.txt', 'temp/foo/bar.1.txt'],
  );
  const dotDot = load('invalid_name2.torrent');
  assert.equal(dotDot.name, dotDot.infoHashHex);
  assert.deepEqual(dotDot.files[0]!.path, [dotDot.infoHashHex, 'foo', 'bar.txt']);
  assert.deepEqual(load('invalid_filename2.torrent').files.map((f) => f.path.join('/')), ['est2/f', 'est2/_', 'est2/_.1']);
});
