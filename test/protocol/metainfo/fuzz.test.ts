import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTorrent } from '../../../src/protocol/metainfo/index.js';
import { fuzzDecoder } from '../../support/fuzz.js';

const corpus = fileURLToPath(new URL('../../fixtures/libtorrent-test-torrents/', import.meta.url));
const samples = ['base.torrent', 'sample.torrent', 'pad_file.torrent', 'url_list.torrent', 'symlink1.torrent', 'v2_hybrid.torrent', 'unordered.torrent', 'empty-files-1.torrent']
  .map((f) => readFileSync(corpus + f))
  .filter((b) => b.length < 20_000);

test('fuzz: 100,000 random and mutated .torrent files raise only MetainfoError', () => {
  assert.ok(samples.length >= 6);
  const report = fuzzDecoder({ seed: 0x70227e47, count: 100_000, samples, decoder: parseTorrent, maxRandomLength: 200 });
  assert.ok(report.rejected > 10_000);
  assert.ok(report.heapGrowthBytes < 64 * 1024 * 1024, `heap grew by ${report.heapGrowthBytes}`);
});
