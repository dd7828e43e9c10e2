import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildAnnounceUrl,
  encodeAnnounceResponse,
  encodeFailure,
  type HttpAnnounceParams,
  parseAnnounceQuery,
  parseAnnounceResponse,
  TrackerError,
} from '../../../src/protocol/tracker/index.js';
import { amount, event, hash20, interval, peer4, peer6 } from './arbitraries.js';

const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;
const infoHash = Buffer.from('00ff2526263d3f2b20417a7e2d2e5f80c0e1f2aa', 'hex');
const peerId = Buffer.from('-AT0001-\x00\x01 %&=+?#/\xffZ', 'latin1');
const base: HttpAnnounceParams = { infoHash, peerId, port: 6881, uploaded: 1, downloaded: 2, left: 3 };
const body = (s: string): Buffer => Buffer.from(s, 'latin1');

test('binary infohash and peer id are escaped byte by byte, uppercase, unreserved literal', () => {
  const url = buildAnnounceUrl('http://t.example:6969/announce', base);
  assert.equal(
    url,
    'http://t.example:6969/announce?info_hash=%00%FF%25%26%26%3D%3F%2B%20Az~-._%80%C0%E1%F2%AA' +
      '&peer_id=-AT0001-%00%01%20%25%26%3D%2B%3F%23%2F%FFZ&port=6881&uploaded=1&downloaded=2&left=3&compact=1',
  );
});

test('an existing query string (a passkey) is kept and ours appended', () => {
  const url = buildAnnounceUrl('https://private.example/announce.php?passkey=0123abcd', { ...base, compact: false });
  assert.match(url, /^https:\/\/private\.example\/announce\.php\?passkey=0123abcd&info_hash=%00/);
  assert.match(url, /&compact=0$/);
  const withAmp = buildAnnounceUrl('http://t/a?pk=x&', base);
  assert.match(withAmp, /^http:\/\/t\/a\?pk=x&info_hash=/);
  const fragment = buildAnnounceUrl('http://t/a?pk=x#frag', base);
  assert.match(fragment, /^http:\/\/t\/a\?pk=x&info_hash=[^#]*$/);
});

test('optional parameters are appended and escaped', () => {
  const url = buildAnnounceUrl('http://t/announce', {
    ...base,
    event: 'started',
    numwant: 50,
    key: 'k y',
    trackerId: Buffer.from([0, 1]),
    ip: '10.0.0.1',
  });
  assert.match(url, /&compact=1&event=started&numwant=50&key=k%20y&trackerid=%00%01&ip=10.0.0.1$/);
});

test('bad announce arguments are refused before any URL is built', () => {
  const bad: Partial<HttpAnnounceParams>[] = [
    { infoHash: Buffer.alloc(19) },
    { peerId: Buffer.alloc(21) },
    { port: 65536 },
    { port: 1.5 },
    { left: -1 },
    { uploaded: 2 ** 53 },
    { numwant: -1 },
    { event: 'paused' as never },
  ];
  for (const b of bad) {
    assert.throws(() => buildAnnounceUrl('http://t/announce', { ...base, ...b }), isTrackerError('invalid-argument'), JSON.stringify(b));
  }
  for (const url of ['udp://t:1/announce', 'announce', 'http:///x', 'http://t/a b']) {
    assert.throws(() => buildAnnounceUrl(url, base), isTrackerError('invalid-url'), url);
  }
});

test('buildAnnounceUrl → parseAnnounceQuery round-trips (client to server)', () => {
  const params = fc.record(
    {
      infoHash: hash20,
      peerId: hash20,
      port: fc.integer({ min: 0, max: 65535 }),
      uploaded: amount,
      downloaded: amount,
      left: amount,
      compact: fc.boolean(),
      event,
      numwant: fc.nat({ max: 0x7fffffff }),
      key: fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
      trackerId: fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
      ip: fc.string({ unit: 'grapheme', maxLength: 20 }),
    },
    { requiredKeys: ['infoHash', 'peerId', 'port', 'uploaded', 'downloaded', 'left'] },
  );
  const announceUrl = fc.constantFrom('http://t/announce', 'http://t/announce?passkey=a%2Fb', 'https://t:8/x/announce.php?');
  fc.assert(
    fc.property(announceUrl, params, (prefix, p) => {
      const url = buildAnnounceUrl(prefix, p);
      const query = url.slice(url.indexOf('?') + 1);
      const parsed = parseAnnounceQuery(query);
      const expected: Record<string, unknown> = { ...p, compact: p.compact ?? true };
      for (const k of Object.keys(expected)) if (expected[k] === undefined) delete expected[k];
      assert.deepEqual({ ...parsed }, expected);
    }),
    { numRuns: 500 },
  );
});

test('encodeAnnounceResponse → parseAnnounceResponse round-trips, compact and dictionary form', () => {
  const response = fc.record(
    {
      interval,
      minInterval: interval,
      complete: fc.nat(),
      incomplete: fc.nat(),
      downloaded: fc.nat(),
      trackerId: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
      warning: fc.string({ maxLength: 20 }),
      v4: fc.array(peer4, { maxLength: 10 }),
      v6: fc.array(peer6, { maxLength: 10 }),
    },
    { requiredKeys: ['interval', 'v4', 'v6'] },
  );
  fc.assert(
    fc.property(response, fc.boolean(), ({ v4, v6, ...rest }, compact) => {
      const parsed = parseAnnounceResponse(encodeAnnounceResponse({ ...rest, peers: [...v6, ...v4] }, { compact }));
      // Compact form splits the families into peers and peers6; the parser lists peers first.
      const peers = compact ? [...v4, ...v6] : [...v6, ...v4];
      const expected: Record<string, unknown> = { type: 'success', ...rest, peers };
      for (const k of Object.keys(expected)) if (expected[k] === undefined) delete expected[k];
      assert.deepEqual({ ...parsed }, expected);
    }),
    { numRuns: 500 },
  );
});

test('a failure reason is returned as a failure result, whatever else is there', () => {
  assert.deepEqual(parseAnnounceResponse(encodeFailure('torrent not registered')), { type: 'failure', reason: 'torrent not registered' });
  assert.deepEqual(parseAnnounceResponse(body('d14:failure reason3:bad8:intervali-5ee')), { type: 'failure', reason: 'bad' });
});

test('a compact reply with peers6, warning and counters', () => {
  const v6 = Buffer.from('00000000000000000000000000000001' + '1ae1', 'hex');
  const reply = Buffer.concat([
    body('d8:completei3e10:incompletei4e8:intervali1800e12:min intervali60e5:peers12:'),
    Buffer.from([127, 0, 0, 1, 0x1a, 0xe1, 10, 1, 2, 3, 0, 80]),
    body('6:peers618:'),
    v6,
    body('10:tracker id3:abc15:warning message4:slowe'),
  ]);
  assert.deepEqual(parseAnnounceResponse(reply), {
    type: 'success',
    interval: 1800,
    minInterval: 60,
    complete: 3,
    incomplete: 4,
    trackerId: Buffer.from('abc'),
    warning: 'slow',
    peers: [
      { host: '127.0.0.1', port: 6881 },
      { host: '10.1.2.3', port: 80 },
      { host: '::1', port: 6881 },
    ],
  });
});

test('dictionary-form peers keep their peer ids', () => {
  const reply = body('d8:intervali900e5:peersld2:ip9:127.0.0.17:peer id20:-LT2080-abcdefghijkl4:porti6881eeee');
  assert.deepEqual(parseAnnounceResponse(reply), {
    type: 'success',
    interval: 900,
    peers: [{ host: '127.0.0.1', port: 6881, peerId: Buffer.from('-LT2080-abcdefghijkl') }],
  });
});

test('unsorted keys, leading zeros and a trailing newline fall back to lenient decoding', () => {
  const unsorted = body('d5:peers6:\x7f\x00\x00\x01\x1a\xe18:intervali1800e8:completei1ee\n');
  assert.deepEqual(parseAnnounceResponse(unsorted), {
    type: 'success',
    interval: 1800,
    complete: 1,
    peers: [{ host: '127.0.0.1', port: 6881 }],
  });
  assert.equal((parseAnnounceResponse(body('d8:intervali060e5:peers0:e')) as { interval: number }).interval, 60);
});

test('bad replies are typed errors', () => {
  const cases: [string, string][] = [
    ['', 'invalid-bencode'],
    ['d8:intervali1800e', 'invalid-bencode'],
    ['<html>502 Bad Gateway</html>', 'invalid-bencode'],
    ['li1ee', 'not-a-dict'],
    ['d5:peers0:e', 'missing-interval'],
    ['d8:intervali0e5:peers0:e', 'invalid-interval'],
    ['d8:intervali-1e5:peers0:e', 'invalid-interval'],
    ['d8:intervali2147483648e5:peers0:e', 'invalid-interval'],
    ['d8:interval4:1800e', 'invalid-interval'],
    ['d8:intervali9223372036854775807e5:peers0:e', 'invalid-interval'],
    ['d8:intervali10e12:min intervali0ee', 'invalid-min-interval'],
    ['d8:intervali10e5:peers5:abcdee', 'invalid-peers'],
    ['d8:intervali10e5:peersi3ee', 'invalid-peers'],
    ['d8:intervali10e6:peers65:abcdee', 'invalid-peers'],
    ['d8:intervali10e6:peers6lee', 'invalid-peers'],
    ['d8:intervali10e5:peerslleee', 'invalid-peer'],
    ['d8:completei-1e8:intervali10ee', 'invalid-field'],
    ['d8:intervali10e15:warning messagei1ee', 'invalid-field'],
    ['d14:failure reasoni1ee', 'invalid-field'],
    ['d8:intervali10e8:intervali10ee', 'invalid-bencode'],
  ];
  for (const [text, code] of cases) assert.throws(() => parseAnnounceResponse(body(text)), isTrackerError(code), text);
});
