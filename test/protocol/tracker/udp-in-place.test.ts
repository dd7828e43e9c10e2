import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  TrackerError,
  decodeUdpRequest,
  encodeUdpAnnounceRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectRequest,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpScrapeRequest,
  encodeUdpScrapeResponse,
  readUdpRequest,
  udpRequestView,
  writeUdpAnnounceHeader,
  writeUdpConnectHeader,
  writeUdpError,
  writeUdpScrapeEntry,
  writeUdpScrapeHeader,
} from '../../../src/protocol/tracker/index.js';

const hash = (n: number) => Buffer.alloc(20, n);
const seeds = [
  encodeUdpConnectRequest({ transactionId: 9 }),
  encodeUdpAnnounceRequest({ connectionId: 77n, transactionId: 5, infoHash: hash(1), peerId: hash(2), downloaded: 1, left: 2 ** 40, uploaded: 3, event: 'started', ip: '10.1.2.3', key: 4, numWant: 30, port: 6881 }),
  encodeUdpAnnounceRequest({ connectionId: 77n, transactionId: 6, infoHash: hash(1), peerId: hash(2), downloaded: 0, left: 0, uploaded: 0, key: 0, port: 1 }),
  encodeUdpScrapeRequest({ connectionId: 1n, transactionId: 7, infoHashes: [hash(1), hash(2), hash(3)] }),
];

/** What readUdpRequest must agree with: decodeUdpRequest's fields, or its error code. */
function reference(packet: Buffer) {
  try {
    const r = decodeUdpRequest(packet);
    if (r.action === 'connect') return { action: r.action, transactionId: r.transactionId };
    if (r.action === 'scrape') return { action: r.action, transactionId: r.transactionId, hashes: r.infoHashes.length };
    const ip = r.ip === undefined ? 0 : r.ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
    return { action: r.action, transactionId: r.transactionId, event: r.event, left: r.left, ip, numWant: r.numWant, port: r.port };
  } catch (err) {
    assert.ok(err instanceof TrackerError);
    return { error: err.code };
  }
}

function inPlace(packet: Buffer) {
  const view = udpRequestView();
  const error = readUdpRequest(packet, view);
  if (error !== undefined) return { error };
  const { action, transactionId } = view;
  if (action === 'connect') return { action, transactionId };
  if (action === 'scrape') return { action, transactionId, hashes: view.hashes };
  return { action, transactionId, event: view.event, left: view.left, ip: view.ip, numWant: view.numWant, port: view.port };
}

test('readUdpRequest reads what decodeUdpRequest decodes, and refuses with the same code, on valid and mutated packets', () => {
  for (const seed of seeds) assert.deepEqual(inPlace(seed), reference(seed));
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(120), fc.nat(255)), { maxLength: 6 }), fc.integer({ min: -20, max: 40 })).map(([seed, edits, resize]) => {
    const packet = Buffer.alloc(Math.max(16, seed.length + resize));
    seed.copy(packet, 0, 0, Math.min(seed.length, packet.length));
    for (const [at, byte] of edits) if (at < packet.length) packet[at] = byte;
    return packet;
  });
  fc.assert(
    fc.property(mutated, (packet) => {
      assert.deepEqual(inPlace(packet), reference(packet));
    }),
    { numRuns: 5000, seed: 11 },
  );
});

test('the in-place writers give the encoders’ bytes', () => {
  const out = Buffer.alloc(1500);
  writeUdpConnectHeader(out, 5);
  out.writeBigUInt64BE(0x0102030405060708n, 8);
  assert.deepEqual(out.subarray(0, 16), encodeUdpConnectResponse({ transactionId: 5, connectionId: 0x0102030405060708n }));

  const peers = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0x1a, 0xe2]);
  const n = writeUdpAnnounceHeader(out, 6, 1800, 3, 4);
  peers.copy(out, n);
  const expected = encodeUdpAnnounceResponse({ transactionId: 6, interval: 1800, leechers: 3, seeders: 4, peers: [{ host: '10.0.0.1', port: 6881 }, { host: '10.0.0.2', port: 6882 }] }, 'IPv4');
  assert.deepEqual(out.subarray(0, n + peers.length), expected);

  writeUdpScrapeHeader(out, 7);
  writeUdpScrapeEntry(out, 0, 1, 2, 3);
  writeUdpScrapeEntry(out, 1, 4, 5, 6);
  assert.deepEqual(out.subarray(0, 32), encodeUdpScrapeResponse({ transactionId: 7, stats: [{ complete: 1, downloaded: 2, incomplete: 3 }, { complete: 4, downloaded: 5, incomplete: 6 }] }));

  const length = writeUdpError(out, 8, 'nope');
  assert.deepEqual(out.subarray(0, length), encodeUdpErrorResponse({ transactionId: 8, message: 'nope' }));
  // A long message is cut to the buffer, never written past it.
  const small = Buffer.alloc(20);
  assert.equal(writeUdpError(small, 8, 'x'.repeat(100)), 20);
});
