import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildAnnounceUrl,
  checkTransaction,
  decodeUdpAnnounceRequest,
  decodeUdpConnectRequest,
  decodeUdpRequest,
  decodeUdpResponse,
  encodeAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpResponse,
  parseAnnounceQuery,
  parseAnnounceResponse,
  parseScrapeResponse,
  TrackerError,
} from '../../../src/protocol/tracker/index.js';

/** Real packets captured from libtorrent, aria2 and opentracker; see test/fixtures/tracker/README.md. */

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tracker');
const bin = (name: string): Buffer => fs.readFileSync(path.join(dir, name));
const query = (name: string): string => fs.readFileSync(path.join(dir, name), 'latin1');
const INFO_HASH = Buffer.from('8d05f9029332826ee642aa9f6768cafec9f9ea4a', 'hex');
const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;

test('libtorrent 2.0.8 UDP connect requests (IPv4 and IPv6)', () => {
  for (const [name, tid] of [['libtorrent-udp-connect-request.bin', 0x8692e4c1], ['libtorrent-udp6-connect-request.bin', 0x7c9957d7]] as const) {
    const bytes = bin(name);
    assert.deepEqual(decodeUdpConnectRequest(bytes), { action: 'connect', transactionId: tid });
    assert.deepEqual(decodeUdpRequest(bytes), { action: 'connect', transactionId: tid });
    assert.deepEqual(encodeUdpConnectRequest({ transactionId: tid }), bytes);
  }
});

test('libtorrent 2.0.8 UDP announce requests, with BEP 41 URLData after the 98 bytes', () => {
  const cases = [
    { file: 'libtorrent-udp-announce-started-request.bin', event: 'started', numWant: 200, port: 37155 },
    { file: 'libtorrent-udp-announce-stopped-request.bin', event: 'stopped', numWant: 0, port: 37155 },
    { file: 'libtorrent-udp6-announce-started-request.bin', event: 'started', numWant: 200, port: 39247 },
    { file: 'libtorrent-udp6-announce-stopped-request.bin', event: 'stopped', numWant: 0, port: 39247 },
  ];
  for (const c of cases) {
    const bytes = bin(c.file);
    // libtorrent appends option 2 (URLData), length 9, "/announce".
    assert.deepEqual(bytes.subarray(98), Buffer.from([2, 9, ...Buffer.from('/announce')]), c.file);
    const r = decodeUdpAnnounceRequest(bytes);
    assert.deepEqual(decodeUdpRequest(bytes), r);
    assert.equal(r.connectionId, 0x0123456789abcdefn, 'the capture listener handed out this connection id');
    assert.deepEqual(r.infoHash, INFO_HASH);
    assert.equal(r.peerId.subarray(0, 8).toString('latin1'), '-LT2080-');
    assert.equal(r.event, c.event);
    assert.equal(r.numWant, c.numWant);
    assert.equal(r.port, c.port);
    assert.equal(r.left, 65536);
    assert.equal(r.downloaded, 0);
    assert.equal(r.uploaded, 0);
    assert.equal(r.ip, undefined);
    // Our encoder writes the same 98 bytes.
    assert.deepEqual(encodeUdpAnnounceRequest(r), bytes.subarray(0, 98), c.file);
  }
});

test('libtorrent 2.0.8 HTTP announce queries (lowercase escapes)', () => {
  for (const [file, event, numwant] of [
    ['libtorrent-http-announce-started.query.txt', 'started', 200],
    ['libtorrent-http-announce-stopped.query.txt', 'stopped', 0],
  ] as const) {
    const raw = query(file);
    const r = parseAnnounceQuery(raw);
    assert.deepEqual(r.infoHash, INFO_HASH);
    assert.equal(r.peerId.toString('latin1').slice(0, 8), '-LT2080-');
    assert.equal(r.port, 45215);
    assert.equal(r.left, 65536);
    assert.equal(r.event, event);
    assert.equal(r.numwant, numwant);
    assert.equal(r.compact, true);
    assert.equal(r.noPeerId, true);
    assert.equal(r.key?.toString('latin1'), '36AAAA11');
    // Rebuilt by our client and parsed again, the request means the same.
    const { compact, noPeerId, ...params } = r;
    assert.equal(noPeerId, true);
    const url = buildAnnounceUrl('http://127.0.0.1/announce', { ...params, compact });
    assert.deepEqual(parseAnnounceQuery(url.slice(url.indexOf('?') + 1)), { ...params, compact });
  }
});

test('aria2 1.36 HTTP announce queries (uppercase escapes, binary key)', () => {
  for (const [file, event, numwant] of [
    ['aria2-http-announce-started.query.txt', 'started', 50],
    ['aria2-http-announce-stopped.query.txt', 'stopped', 0],
  ] as const) {
    const r = parseAnnounceQuery(query(file));
    assert.deepEqual(r.infoHash, INFO_HASH);
    assert.equal(r.peerId.toString('latin1').slice(0, 10), 'A2-1-36-0-');
    assert.equal(r.port, 61999);
    assert.equal(r.left, 65536);
    assert.equal(r.event, event);
    assert.equal(r.numwant, numwant);
    assert.equal(r.compact, true);
    assert.equal(r.key?.length, 8);
  }
});

test('opentracker HTTP announce replies (compact, sorted keys)', () => {
  assert.deepEqual(parseAnnounceResponse(bin('opentracker-http-announce-first.bin')), {
    type: 'success',
    interval: 1646,
    minInterval: 823,
    complete: 0,
    incomplete: 1,
    downloaded: 0,
    peers: [{ host: '127.0.0.1', port: 6881 }],
  });
  assert.deepEqual(parseAnnounceResponse(bin('opentracker-http-announce-compact.bin')), {
    type: 'success',
    interval: 1777,
    minInterval: 888,
    complete: 1,
    incomplete: 1,
    downloaded: 0,
    peers: [
      { host: '127.0.0.1', port: 6881 },
      { host: '127.0.0.1', port: 6882 },
    ],
  });
  // Our server encoder writes what opentracker wrote, byte for byte.
  for (const file of ['opentracker-http-announce-first.bin', 'opentracker-http-announce-compact.bin']) {
    const parsed = parseAnnounceResponse(bin(file));
    assert.ok(parsed.type === 'success');
    assert.deepEqual(encodeAnnounceResponse(parsed, { compact: true }), bin(file), file);
  }
  assert.deepEqual(parseAnnounceResponse(bin('opentracker-http-announce-unauthorized.bin')), {
    type: 'failure',
    reason: 'Requested download is not authorized for use with this tracker.',
  });
  // compact=0 is not supported by opentracker: it answers with an HTML snippet.
  assert.throws(() => parseAnnounceResponse(bin('opentracker-http-announce-noncompact.bin')), isTrackerError('invalid-bencode'));
});

test('opentracker HTTP scrape reply (binary infohash key)', () => {
  assert.deepEqual(parseScrapeResponse(bin('opentracker-http-scrape.bin')), {
    type: 'success',
    files: new Map([[INFO_HASH.toString('hex'), { complete: 1, downloaded: 0, incomplete: 1 }]]),
  });
  const files = new Map([[INFO_HASH.toString('hex'), { complete: 1, downloaded: 0, incomplete: 1 }]]);
  assert.deepEqual(encodeScrapeResponse(files), bin('opentracker-http-scrape.bin'));
  assert.deepEqual(encodeFailure('Requested download is not authorized for use with this tracker.'), bin('opentracker-http-announce-unauthorized.bin'));
});

test('opentracker UDP replies decode, match their transactions and re-encode byte for byte', () => {
  const connect = bin('opentracker-udp-connect-response.bin');
  const c = checkTransaction({ transactionId: 0xc0ffee01, action: 'connect' }, decodeUdpResponse(connect, 'IPv4'));
  assert.deepEqual(c, { action: 'connect', transactionId: 0xc0ffee01, connectionId: 0xaaac75e2bd18e930n });

  const announce = bin('opentracker-udp-announce-response.bin');
  const a = checkTransaction({ transactionId: 0xc0ffee02, action: 'announce' }, decodeUdpResponse(announce, 'IPv4'));
  assert.deepEqual(a, {
    action: 'announce',
    transactionId: 0xc0ffee02,
    interval: 1773,
    leechers: 2,
    seeders: 1,
    peers: [
      { host: '127.0.0.1', port: 6881 },
      { host: '127.0.0.1', port: 6885 },
      { host: '127.0.0.1', port: 6882 },
    ],
  });

  const scrape = bin('opentracker-udp-scrape-response.bin');
  const s = checkTransaction({ transactionId: 0xc0ffee03, action: 'scrape' }, decodeUdpResponse(scrape, 'IPv4'));
  assert.deepEqual(s, {
    action: 'scrape',
    transactionId: 0xc0ffee03,
    stats: [
      { complete: 1, downloaded: 0, incomplete: 2 },
      { complete: 0, downloaded: 0, incomplete: 0 },
    ],
  });
  for (const [bytes, decoded] of [[connect, c], [announce, a], [scrape, s]] as const) {
    assert.deepEqual(encodeUdpResponse(decoded, 'IPv4'), bytes);
  }
  assert.throws(() => checkTransaction({ transactionId: 0xc0ffee09, action: 'scrape' }, s), isTrackerError('transaction-mismatch'));
});

test('opentracker refuses an unlisted torrent over UDP with an 8-byte announce "response": too short to use', () => {
  const bytes = bin('opentracker-udp-announce-unauthorized-response.bin');
  assert.equal(bytes.length, 8);
  assert.throws(() => decodeUdpResponse(bytes, 'IPv4'), isTrackerError('truncated-packet'));
});
