import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkTransaction,
  decodeUdpAnnounceRequest,
  decodeUdpAnnounceResponse,
  decodeUdpConnectRequest,
  decodeUdpConnectResponse,
  decodeUdpErrorResponse,
  decodeUdpRequest,
  decodeUdpResponse,
  decodeUdpScrapeRequest,
  decodeUdpScrapeResponse,
  encodeUdpAnnounceRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectRequest,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpRequest,
  encodeUdpResponse,
  encodeUdpScrapeRequest,
  encodeUdpScrapeResponse,
  TrackerError,
  type UdpResponse,
} from '../../../src/protocol/tracker/index.js';
import { amount, connectionId, event, hash20, interval, ipv4, peer4, peer6, uint32 } from './arbitraries.js';

const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;
/** Drops undefined-valued keys (the decoders leave absent fields out) and null prototypes. */
const plain = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const connectRequest = fc.record({ action: fc.constant('connect' as const), transactionId: uint32 }).map(plain);
const announceRequest = fc
  .record(
    {
      action: fc.constant('announce' as const),
      connectionId,
      transactionId: uint32,
      infoHash: hash20,
      peerId: hash20,
      downloaded: amount,
      left: amount,
      uploaded: amount,
      event,
      ip: ipv4.filter((ip) => ip !== '0.0.0.0'),
      key: uint32,
      numWant: fc.nat({ max: 0x7fffffff }),
      port: fc.integer({ min: 0, max: 65535 }),
    },
    { requiredKeys: ['action', 'connectionId', 'transactionId', 'infoHash', 'peerId', 'downloaded', 'left', 'uploaded', 'key', 'port'] },
  )
  .map(plain);
const scrapeRequest = fc
  .record({
    action: fc.constant('scrape' as const),
    connectionId,
    transactionId: uint32,
    infoHashes: fc.array(hash20, { minLength: 1, maxLength: 74 }),
  })
  .map(plain);
const stats = fc.record({ complete: uint32, downloaded: uint32, incomplete: uint32 }).map(plain);

test('every UDP request round-trips (client encodes, server decodes)', () => {
  fc.assert(
    fc.property(fc.oneof(connectRequest, announceRequest, scrapeRequest), (request) => {
      const bytes = encodeUdpRequest(request);
      assert.deepEqual(plain(decodeUdpRequest(bytes)), request);
    }),
    { numRuns: 1000 },
  );
});

test('every UDP response round-trips for both address families (server encodes, client decodes)', () => {
  for (const family of ['IPv4', 'IPv6'] as const) {
    const response = fc.oneof(
      fc.record({ action: fc.constant('connect' as const), transactionId: uint32, connectionId }).map(plain),
      fc
        .record({
          action: fc.constant('announce' as const),
          transactionId: uint32,
          interval,
          leechers: uint32,
          seeders: uint32,
          peers: fc.array(family === 'IPv4' ? peer4 : peer6, { maxLength: 30 }),
        })
        .map(plain),
      fc.record({ action: fc.constant('scrape' as const), transactionId: uint32, stats: fc.array(stats, { maxLength: 74 }) }).map(plain),
      fc.record({ action: fc.constant('error' as const), transactionId: uint32, message: fc.string({ maxLength: 40 }) }).map(plain),
    );
    fc.assert(
      fc.property(response, (r) => {
        assert.deepEqual(plain(decodeUdpResponse(encodeUdpResponse(r as UdpResponse, family), family)), r);
      }),
      { numRuns: 500 },
    );
  }
});

test('connect request has the BEP 15 layout and magic', () => {
  const bytes = encodeUdpConnectRequest({ transactionId: 0x01020304 });
  assert.equal(bytes.toString('hex'), '0000041727101980' + '00000000' + '01020304');
  const bad = Buffer.from(bytes);
  bad[7] = 0x81;
  assert.throws(() => decodeUdpConnectRequest(bad), isTrackerError('invalid-protocol-id'));
  assert.deepEqual(decodeUdpConnectResponse(encodeUdpConnectResponse({ transactionId: 7, connectionId: 0xffffffffffffffffn })), {
    action: 'connect',
    transactionId: 7,
    connectionId: 0xffffffffffffffffn,
  });
});

test('announce request is 98 bytes with -1 num_want by default; BEP 41 option bytes are ignored', () => {
  const request = {
    connectionId: 0x1122334455667788n,
    transactionId: 9,
    infoHash: Buffer.alloc(20, 1),
    peerId: Buffer.alloc(20, 2),
    downloaded: 3,
    left: 4,
    uploaded: 5,
    event: 'started' as const,
    key: 0xdeadbeef,
    port: 6881,
  };
  const bytes = encodeUdpAnnounceRequest(request);
  assert.equal(bytes.length, 98);
  assert.equal(bytes.readInt32BE(92), -1);
  assert.equal(bytes.readUInt32BE(80), 2);
  assert.equal(bytes.readUInt32BE(84), 0);
  // BEP 41: option type 2 (URLData), length 9, "/announce", then 0 (EndOfOptions).
  const withOptions = Buffer.concat([bytes, Buffer.from([2, 9]), Buffer.from('/announce'), Buffer.from([0])]);
  assert.deepEqual(plain(decodeUdpAnnounceRequest(withOptions)), { action: 'announce', ...request });
  // Any negative num_want means "default".
  const neg = Buffer.from(bytes);
  neg.writeInt32BE(-7, 92);
  assert.equal(decodeUdpAnnounceRequest(neg).numWant, undefined);
});

test('IPv6 announce responses use 18-byte peers; the family decides', () => {
  const peers = [{ host: '2001:db8:1:2:3:4:5:6', port: 6881 }];
  const bytes = encodeUdpAnnounceResponse({ transactionId: 1, interval: 60, leechers: 0, seeders: 1, peers }, 'IPv6');
  assert.equal(bytes.length, 20 + 18);
  assert.deepEqual(decodeUdpAnnounceResponse(bytes, 'IPv6').peers, peers);
  // 18 is a multiple of 6: read with the wrong family the same bytes are three bogus IPv4 peers.
  assert.equal(decodeUdpAnnounceResponse(bytes, 'IPv4').peers.length, 3);
  assert.throws(() => decodeUdpAnnounceResponse(bytes.subarray(0, 20 + 12), 'IPv6'), isTrackerError('invalid-peers'));
  assert.throws(() => encodeUdpAnnounceResponse({ transactionId: 1, interval: 60, leechers: 0, seeders: 1, peers }, 'IPv4'), isTrackerError('invalid-argument'));
});

test('short, mislabelled and malformed packets are typed errors', () => {
  const announce = encodeUdpAnnounceRequest({
    connectionId: 1n, transactionId: 1, infoHash: Buffer.alloc(20), peerId: Buffer.alloc(20),
    downloaded: 0, left: 0, uploaded: 0, key: 0, port: 1,
  });
  const cases: [() => unknown, string][] = [
    [() => decodeUdpRequest(Buffer.alloc(15)), 'truncated-packet'],
    [() => decodeUdpConnectRequest(Buffer.alloc(15)), 'truncated-packet'],
    [() => decodeUdpAnnounceRequest(announce.subarray(0, 97)), 'truncated-packet'],
    [() => decodeUdpScrapeRequest(announce.subarray(0, 16)), 'unexpected-action'],
    [() => decodeUdpRequest(Buffer.from('00000000000000000000000400000000', 'hex')), 'unknown-action'],
    [() => decodeUdpRequest(Buffer.from('00000000000000000000000300000000', 'hex')), 'unexpected-action'],
    [() => decodeUdpScrapeRequest(Buffer.from('00000000000000000000000200000000', 'hex')), 'invalid-length'],
    [() => decodeUdpScrapeRequest(Buffer.concat([Buffer.from('00000000000000000000000200000000', 'hex'), Buffer.alloc(21)])), 'invalid-length'],
    [() => decodeUdpScrapeRequest(Buffer.concat([Buffer.from('00000000000000000000000200000000', 'hex'), Buffer.alloc(20 * 75)])), 'too-many-info-hashes'],
    [() => { const b = Buffer.from(announce); b.writeUInt32BE(4, 80); return decodeUdpAnnounceRequest(b); }, 'invalid-field'],
    [() => { const b = Buffer.from(announce); b.writeBigInt64BE(-1n, 64); return decodeUdpAnnounceRequest(b); }, 'invalid-field'],
    [() => { const b = Buffer.from(announce); b.writeBigInt64BE(1n << 53n, 56); return decodeUdpAnnounceRequest(b); }, 'invalid-field'],
    [() => decodeUdpResponse(Buffer.alloc(7), 'IPv4'), 'truncated-packet'],
    [() => decodeUdpConnectResponse(Buffer.alloc(15)), 'truncated-packet'],
    [() => decodeUdpAnnounceResponse(Buffer.from('0000000100000000000000', 'hex'), 'IPv4'), 'truncated-packet'],
    [() => decodeUdpAnnounceResponse(Buffer.concat([Buffer.from('00000001000000000000000000000000', 'hex'), Buffer.alloc(4)]), 'IPv4'), 'invalid-interval'],
    [() => decodeUdpAnnounceResponse(Buffer.concat([Buffer.from('000000010000000000000e1000000000', 'hex'), Buffer.alloc(7)]), 'IPv4'), 'invalid-peers'],
    [() => decodeUdpScrapeResponse(Buffer.concat([Buffer.from('0000000200000000', 'hex'), Buffer.alloc(13)])), 'invalid-length'],
    [() => decodeUdpErrorResponse(Buffer.from('0000000100000000', 'hex')), 'unexpected-action'],
    [() => decodeUdpResponse(Buffer.from('0000000900000000', 'hex'), 'IPv4'), 'unknown-action'],
  ];
  for (const [run, code] of cases) assert.throws(run, isTrackerError(code), `${run}`);
});

test('scrape request encoder bounds the infohash count', () => {
  assert.throws(() => encodeUdpScrapeRequest({ connectionId: 1n, transactionId: 1, infoHashes: [] }), isTrackerError('invalid-argument'));
  const many = Array.from({ length: 75 }, () => Buffer.alloc(20));
  assert.throws(() => encodeUdpScrapeRequest({ connectionId: 1n, transactionId: 1, infoHashes: many }), isTrackerError('invalid-argument'));
  assert.equal(encodeUdpScrapeRequest({ connectionId: 1n, transactionId: 1, infoHashes: many.slice(1) }).length, 16 + 20 * 74);
  assert.deepEqual(decodeUdpScrapeResponse(encodeUdpScrapeResponse({ transactionId: 3, stats: [] })), { action: 'scrape', transactionId: 3, stats: [] });
});

test('checkTransaction accepts the expected action or an error, refuses the rest', () => {
  const connect = decodeUdpResponse(encodeUdpConnectResponse({ transactionId: 5, connectionId: 1n }), 'IPv4');
  assert.equal(checkTransaction({ transactionId: 5, action: 'connect' }, connect), connect);
  assert.throws(() => checkTransaction({ transactionId: 6, action: 'connect' }, connect), isTrackerError('transaction-mismatch'));
  assert.throws(() => checkTransaction({ transactionId: 5, action: 'announce' }, connect), isTrackerError('unexpected-action'));
  const error = decodeUdpResponse(encodeUdpErrorResponse({ transactionId: 5, message: 'unregistered torrent' }), 'IPv4');
  assert.deepEqual(checkTransaction({ transactionId: 5, action: 'announce' }, error), {
    action: 'error',
    transactionId: 5,
    message: 'unregistered torrent',
  });
  assert.throws(() => checkTransaction({ transactionId: 4, action: 'announce' }, error), isTrackerError('transaction-mismatch'));
});

test('encoders refuse values that do not fit their fields', () => {
  const cases: (() => unknown)[] = [
    () => encodeUdpConnectRequest({ transactionId: 2 ** 32 }),
    () => encodeUdpConnectRequest({ transactionId: -1 }),
    () => encodeUdpConnectResponse({ transactionId: 1, connectionId: 1n << 64n }),
    () => encodeUdpAnnounceRequest({
      connectionId: 1n, transactionId: 1, infoHash: Buffer.alloc(20), peerId: Buffer.alloc(20),
      downloaded: 0, left: 0, uploaded: 0, key: 0, port: 1, ip: '::1',
    }),
    () => encodeUdpAnnounceRequest({
      connectionId: 1n, transactionId: 1, infoHash: Buffer.alloc(20), peerId: Buffer.alloc(20),
      downloaded: 0, left: -1, uploaded: 0, key: 0, port: 1,
    }),
    () => encodeUdpScrapeResponse({ transactionId: 1, stats: [{ complete: 2 ** 32, downloaded: 0, incomplete: 0 }] }),
  ];
  for (const run of cases) assert.throws(run, isTrackerError('invalid-argument'), `${run}`);
});
