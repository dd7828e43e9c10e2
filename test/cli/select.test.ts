import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatcher, selectFiles } from '../../src/cli/select.js';
import { UsageError } from '../../src/cli/units.js';
import type { Metainfo, TorrentFile } from '../../src/protocol/metainfo/index.js';

function check(cases: [glob: string, path: string, expected: boolean][]): void {
  for (const [glob, path, expected] of cases) assert.equal(globMatcher(glob)(path), expected, `${glob} vs ${path}`);
}

test('--select braces: {a,b} alternatives and {1..3} ranges', () => {
  check([
    ['*.{mkv,srt}', 'e01.srt', true],
    ['*.{mkv,srt}', 'e01.nfo', false],
    ['{docs,extras}/**', 'extras/a/b.txt', true],
    ['{docs,extras}/**', 'other/b.txt', false],
    ['ep{1..3}.mkv', 'ep2.mkv', true],
    ['ep{1..3}.mkv', 'ep4.mkv', false],
  ]);
});

test('--select classes: ranges, negation with ! or ^, POSIX classes', () => {
  check([
    ['disc[0-9].iso', 'disc7.iso', true],
    ['disc[0-9].iso', 'discA.iso', false],
    ['[!a]*.bin', 'b.bin', true],
    ['[!a]*.bin', 'a.bin', false],
    ['[^a]*.bin', 'a.bin', false],
    ['[[:digit:]]x', '1x', true],
  ]);
});

test('--select escapes: a backslash makes the next character literal', () => {
  check([
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'a.txt', false],
    ['\\[x\\]*', '[x] a.mkv', true],
    ['\\[x\\]*', 'x a.mkv', false],
    ['\\{a,b\\}', '{a,b}', true],
    ['\\{a,b\\}', 'a', false],
    ['what\\?.txt', 'what?.txt', true],
    ['what\\?.txt', 'whatX.txt', false],
  ]);
});

test('--select **: any depth, zero folders included; * and ? stay in one folder', () => {
  check([
    ['**', 'a/b/c.bin', true],
    ['**/*.bin', 'c.bin', true],
    ['**/*.bin', 'a/b/c.bin', true],
    ['a/**/c.bin', 'a/c.bin', true],
    ['a/**/c.bin', 'a/x/y/c.bin', true],
    ['a/**', 'a/x/y', true],
    ['*', 'a/b', false],
    ['a?b', 'a/b', false],
  ]);
});

test('--select as users relied on: dotfiles match *, a leading ! is a character, a path matches itself literally', () => {
  check([
    ['*.bin', '.hidden.bin', true],
    ['!x', '!x', true],
    ['!x', 'y', false],
    ['[Group] Show - 01 (1080p).mkv', '[Group] Show - 01 (1080p).mkv', true],
  ]);
});

test('selectFiles takes braces and classes, with or without the torrent name', () => {
  let offset = 0;
  const list = [['share', 'e1.mkv'], ['share', 'e1.srt'], ['share', 'e2.mkv'], ['share', 'notes.txt']].map((path) => {
    const file = { path, length: 100, offset, padding: false } as TorrentFile;
    offset += 100;
    return file;
  });
  const meta = { name: 'share', multiFile: true, files: list, pieceLength: 100, pieceCount: 4, length: offset } as Metainfo;
  assert.deepEqual(selectFiles(meta, ['e[0-9].{srt,txt}']).files, [1]);
  assert.deepEqual(selectFiles(meta, ['share/e?.mkv']).files, [0, 2]);
  assert.throws(() => selectFiles(meta, ['*.{iso,img}']), (err: unknown) => err instanceof UsageError && /matches no file/.test(err.message));
});
