import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  parseAnnounceQuery,
  TrackerError,
} from '../../../src/protocol/tracker/index.js';

const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;
const H = '%AA'.repeat(20);
const P = '-LT2080-' + 'a'.repeat(12);
const ok = `info_hash=${H}&peer_id=${P}&port=6881&uploaded=0&downloaded=0&left=100`;

test('a minimal announce query parses; unknown parameters are ignored', () => {
  assert.deepEqual({ ...parseAnnounceQuery(`?${ok}&supportcrypto=1&corrupt=0&redundant=0`) }, {
    infoHash: Buffer.alloc(20, 0xaa),
    peerId: Buffer.from(P),
    port: 6881,
    uploaded: 0,
    downloaded: 0,
    left: 100,
  });
});

test('a raw request line in latin1 (unescaped high bytes) decodes byte for byte', () => {
  const raw = `info_hash=${'\xff'.repeat(20)}&peer_id=${P}&port=1&uploaded=0&downloaded=0&left=0`;
  assert.deepEqual(parseAnnounceQuery(raw).infoHash, Buffer.alloc(20, 0xff));
});

test('events, flags and optional fields', () => {
  const r = parseAnnounceQuery(`${ok}&event=completed&compact=0&no_peer_id=1&numwant=0&key=%00k&trackerid=t&ip=%3A%3A1`);
  assert.equal(r.event, 'completed');
  assert.equal(r.compact, false);
  assert.equal(r.noPeerId, true);
  assert.equal(r.numwant, 0);
  assert.deepEqual(r.key, Buffer.from('\x00k', 'latin1'));
  assert.deepEqual(r.trackerId, Buffer.from('t'));
  assert.equal(r.ip, '::1');
  assert.equal(parseAnnounceQuery(`${ok}&event=empty`).event, undefined);
  assert.equal(parseAnnounceQuery(`${ok}&event=`).event, undefined);
});

test('bad announce queries are typed errors', () => {
  const cases: [string, string][] = [
    ['', 'missing-parameter'],
    [ok.replace(/&left=100/, ''), 'missing-parameter'],
    [ok.replace(/peer_id=[^&]*/, 'peer_id=short'), 'invalid-parameter'],
    [ok.replace(H, H + '%AA'), 'invalid-parameter'],
    [`${ok}&info_hash=${H}`, 'duplicate-parameter'],
    [`${ok}&port=1`, 'duplicate-parameter'],
    [ok.replace('port=6881', 'port=65536'), 'invalid-parameter'],
    [ok.replace('port=6881', 'port=-1'), 'invalid-parameter'],
    [ok.replace('left=100', 'left=1e3'), 'invalid-parameter'],
    [ok.replace('left=100', 'left=99999999999999999'), 'invalid-parameter'],
    [ok.replace('left=100', 'left='), 'invalid-parameter'],
    [`${ok}&event=paused`, 'invalid-parameter'],
    [`${ok}&compact=yes`, 'invalid-parameter'],
    [`${ok}&numwant=-1`, 'invalid-parameter'],
    [ok.replace(H, '%A'), 'invalid-percent-encoding'],
  ];
  for (const [query, code] of cases) assert.throws(() => parseAnnounceQuery(query), isTrackerError(code), query);
});

test('compact responses refuse host names; dictionary form can omit peer ids', () => {
  const peers = [{ host: 'peer.example', port: 1 }];
  assert.throws(() => encodeAnnounceResponse({ interval: 60, peers }, { compact: true }), isTrackerError('invalid-argument'));
  const peerId = Buffer.from('-LT2080-abcdefghijkl');
  assert.equal(
    encodeAnnounceResponse({ interval: 60, peers: [{ host: '10.0.0.1', port: 1, peerId }] }, { compact: false, includePeerId: false }).toString(),
    'd8:intervali60e5:peersld2:ip8:10.0.0.14:porti1eeee',
  );
  assert.equal(encodeAnnounceResponse({ interval: 60, peers: [] }, { compact: true }).toString(), 'd8:intervali60e5:peers0:e');
});

test('encoders refuse values the wire cannot carry', () => {
  assert.throws(() => encodeAnnounceResponse({ interval: 0, peers: [] }, { compact: true }), isTrackerError('invalid-argument'));
  assert.throws(() => encodeAnnounceResponse({ interval: 1, complete: -1, peers: [] }, { compact: true }), isTrackerError('invalid-argument'));
  assert.throws(() => encodeScrapeResponse(new Map([['abc', { complete: 0, downloaded: 0, incomplete: 0 }]])), isTrackerError('invalid-argument'));
  assert.equal(encodeFailure('nope').toString(), 'd14:failure reason4:nopee');
});
