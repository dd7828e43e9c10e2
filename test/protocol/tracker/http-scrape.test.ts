import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildScrapeUrl,
  encodeFailure,
  encodeScrapeResponse,
  parseScrapeQuery,
  parseScrapeResponse,
  scrapeUrlFor,
  type ScrapeStats,
  TrackerError,
} from '../../../src/protocol/tracker/index.js';
import { hash20 } from './arbitraries.js';

const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;

test('scrapeUrlFor follows the BEP 48 convention', () => {
  const cases: [string, string | undefined][] = [
    ['http://example.com/announce', 'http://example.com/scrape'],
    ['http://example.com/x/announce', 'http://example.com/x/scrape'],
    ['http://example.com/announce.php', 'http://example.com/scrape.php'],
    ['http://example.com/a/announce?x2%0644', 'http://example.com/a/scrape?x2%0644'],
    ['https://example.com:443/announce?passkey=abc#f', 'https://example.com:443/scrape?passkey=abc#f'],
    ['http://example.com/announce/x', undefined], // not the last segment
    ['http://example.com/a', undefined],
    ['http://example.com/x%064announce', undefined], // does not start the segment
    ['http://example.com/?announce', undefined], // only the path counts
    ['http://example.com', undefined],
    ['http://announce.example.com/x', undefined], // nor the host
    ['udp://example.com:6969/announce', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(scrapeUrlFor(input), expected, input);
});

test('buildScrapeUrl repeats info_hash; parseScrapeQuery reads them all back', () => {
  fc.assert(
    fc.property(fc.array(hash20, { maxLength: 10 }), fc.constantFrom('http://t/scrape', 'http://t/scrape?pk=1'), (hashes, prefix) => {
      const url = buildScrapeUrl(prefix, hashes);
      assert.deepEqual(parseScrapeQuery(url.slice(url.indexOf('?') + 1)).infoHashes, hashes);
    }),
    { numRuns: 300 },
  );
  assert.throws(() => buildScrapeUrl('http://t/scrape', [Buffer.alloc(5)]), isTrackerError('invalid-argument'));
  assert.throws(() => parseScrapeQuery('info_hash=abc'), isTrackerError('invalid-parameter'));
});

test('scrape responses round-trip', () => {
  const stats = fc.record({ complete: fc.nat(), downloaded: fc.nat(), incomplete: fc.nat() }).map((s) => ({ ...s }));
  fc.assert(
    fc.property(fc.array(fc.tuple(hash20, stats), { maxLength: 10 }), (entries) => {
      const files = new Map<string, ScrapeStats>(entries.map(([h, s]) => [h.toString('hex'), s]));
      const parsed = parseScrapeResponse(encodeScrapeResponse(files));
      assert.equal(parsed.type, 'success');
      assert.deepEqual(parsed.type === 'success' ? new Map([...parsed.files].sort()) : undefined, new Map([...files].sort()));
    }),
    { numRuns: 300 },
  );
});

test('the BEP 48 example parses', () => {
  const x = 'x'.repeat(20);
  const y = 'y'.repeat(20);
  const body = Buffer.from(
    `d5:filesd20:${x}d8:completei11e10:downloadedi13772e10:incompletei19ee` +
      `20:${y}d8:completei21e10:downloadedi206e10:incompletei20eeee`,
  );
  assert.deepEqual(parseScrapeResponse(body), {
    type: 'success',
    files: new Map([
      [Buffer.from(x).toString('hex'), { complete: 11, downloaded: 13772, incomplete: 19 }],
      [Buffer.from(y).toString('hex'), { complete: 21, downloaded: 206, incomplete: 20 }],
    ]),
  });
});

test('scrape: failure reason, missing counters, bad replies', () => {
  assert.deepEqual(parseScrapeResponse(encodeFailure('no scrape here')), { type: 'failure', reason: 'no scrape here' });
  const h = 'h'.repeat(20);
  // Unsorted keys and a missing `downloaded` are tolerated.
  const partial = parseScrapeResponse(Buffer.from(`d5:filesd20:${h}d10:incompletei2e8:completei1eeee`));
  assert.deepEqual(partial, { type: 'success', files: new Map([[Buffer.from(h).toString('hex'), { complete: 1, downloaded: 0, incomplete: 2 }]]) });
  const cases: [string, string][] = [
    ['de', 'invalid-files'],
    ['d5:filesi1ee', 'invalid-files'],
    ['d5:filesd3:abcdeee', 'invalid-files'],
    [`d5:filesd20:${h}i1eee`, 'invalid-files'],
    [`d5:filesd20:${h}d8:complete1:aeee`, 'invalid-field'],
    ['d5:files', 'invalid-bencode'],
  ];
  for (const [text, code] of cases) assert.throws(() => parseScrapeResponse(Buffer.from(text)), isTrackerError(code), text);
});
