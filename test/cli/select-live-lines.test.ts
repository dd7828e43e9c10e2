import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LiveLines, bar, formatEta } from '../../src/cli/report/live-lines.js';
import { globMatcher, selectFiles } from '../../src/cli/select.js';
import { UsageError } from '../../src/cli/units.js';
import type { Metainfo, TorrentFile } from '../../src/protocol/metainfo/index.js';
import { hasBit } from '../../src/util/bits.js';

test('globs: * and ? stay within a folder, ** crosses folders, the rest is literal', () => {
  const cases: [string, string, boolean][] = [
    ['*.bin', 'a.bin', true],
    ['*.bin', 'b/c.bin', false],
    ['**/*.bin', 'b/c.bin', true],
    ['**/*.bin', 'a.bin', true],
    ['b/**', 'b/x/y.txt', true],
    ['?.bin', 'ab.bin', false],
    ['a.bin', 'aXbin', false],
    ['[x](y).txt', '[x](y).txt', true],
  ];
  for (const [glob, file, expected] of cases) assert.equal(globMatcher(glob)(file), expected, `${glob} vs ${file}`);
});

function meta(files: { path: string[]; length: number; padding?: boolean }[], pieceLength: number): Metainfo {
  let offset = 0;
  const list: TorrentFile[] = files.map((f) => {
    const file = { path: f.path, length: f.length, offset, padding: f.padding ?? false } as TorrentFile;
    offset += f.length;
    return file;
  });
  return { name: 'share', multiFile: true, files: list, pieceLength, pieceCount: Math.ceil(offset / pieceLength), length: offset } as Metainfo;
}

test('selectFiles: the pieces of the matching files, boundary pieces included; unmatched globs are usage errors', () => {
  const m = meta(
    [
      { path: ['share', 'a.bin'], length: 100 },
      { path: ['share', 'b', 'c.bin'], length: 250 },
      { path: ['share', 'empty'], length: 0 },
      { path: ['share', 'd.bin'], length: 150 },
    ],
    100,
  );
  const c = selectFiles(m, ['b/*.bin']);
  assert.deepEqual(c.files, [1]);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => hasBit(c.wanted, i)), [false, true, true, true, false], 'piece 3 is shared with d.bin');
  const both = selectFiles(m, ['share/a.bin', '**/empty']);
  assert.deepEqual(both.files, [0, 2], 'the form with the torrent name matches too');
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => hasBit(both.wanted, i)), [true, false, false, false, false]);
  assert.throws(() => selectFiles(m, ['*.bin', '*.iso']), (err: unknown) => err instanceof UsageError && /"\*\.iso" matches no file/.test(err.message));
});

test('LiveLines redraws its block in place, logs above it, and cuts lines to the width', () => {
  const out = Object.assign(new PassThrough(), { isTTY: true, columns: 30 });
  let written = '';
  out.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const live = new LiveLines(out);
  live.render(['one', 'two']);
  live.render(['three', 'x'.repeat(50)]);
  live.log('note');
  live.render(['four']);
  out.end();
  assert.equal(
    written,
    '\rone\x1b[K\n\rtwo\x1b[K\n' +
      `\x1b[2A\rthree\x1b[K\n\r${'x'.repeat(29)}\x1b[K\n` +
      '\x1b[2A\r\x1b[Jnote\n' +
      '\rfour\x1b[K\n',
  );
});

test('bar and ETA formatting', () => {
  assert.equal(bar(0, 10), '[----------]');
  assert.equal(bar(0.5, 10), '[#####-----]');
  assert.equal(bar(2, 4), '[####]');
  assert.equal(formatEta(65), '1:05');
  assert.equal(formatEta(3725), '1:02:05');
  assert.equal(formatEta(Infinity), '--:--');
});
