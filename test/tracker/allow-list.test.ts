import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllowListError, parseAllowList } from '../../src/tracker/allow-list.js';

const A = '8d05f9029332826ee642aa9f6768cafec9f9ea4a';
const B = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';

test('one infohash per line; blank lines and # comments are skipped; hex is lowercased', () => {
  const list = parseAllowList(`# torrents we track\n${A}\n\n  ${B}  # the second one\r\n`);
  assert.deepEqual([...list], [A, B.toLowerCase()]);
  assert.equal(parseAllowList('').size, 0);
});

test('a line that is not an infohash is refused, naming the line', () => {
  assert.throws(() => parseAllowList(`${A}\n${A.slice(1)}\n`), (err: unknown) => err instanceof AllowListError && /^line 2: /.test(err.message));
  assert.throws(() => parseAllowList(`${A}x`), /line 1/);
  assert.throws(() => parseAllowList(`magnet:?xt=urn:btih:${A}`), /not an infohash/);
});
