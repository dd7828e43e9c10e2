import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decode, encode } from '../../../src/protocol/bencode/index.js';
import {
  decodeCompactPeers,
  decodeCompactPeers6,
  decodeDictionaryPeers,
  encodeCompactPeers,
  encodeCompactPeers6,
  encodeDictionaryPeers,
  TrackerError,
} from '../../../src/protocol/tracker/index.js';
import { hash20, hostName, peer4, peer6, port } from './arbitraries.js';

const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;

test('compact IPv4 peers round-trip (BEP 23)', () => {
  fc.assert(
    fc.property(fc.array(peer4, { maxLength: 50 }), (peers) => {
      const bytes = encodeCompactPeers(peers);
      assert.equal(bytes.length, peers.length * 6);
      assert.deepEqual(decodeCompactPeers(bytes), peers);
    }),
    { numRuns: 500 },
  );
});

test('compact IPv6 peers round-trip (BEP 7 peers6)', () => {
  fc.assert(
    fc.property(fc.array(peer6, { maxLength: 20 }), (peers) => {
      const bytes = encodeCompactPeers6(peers);
      assert.equal(bytes.length, peers.length * 18);
      assert.deepEqual(decodeCompactPeers6(bytes), peers);
    }),
    { numRuns: 500 },
  );
});

test('compact peers have the documented byte layout', () => {
  assert.deepEqual(decodeCompactPeers(Buffer.from([10, 0, 0, 1, 0x1a, 0xe1, 192, 168, 1, 2, 0, 80])), [
    { host: '10.0.0.1', port: 6881 },
    { host: '192.168.1.2', port: 80 },
  ]);
  const v6 = Buffer.from('20010db8000000000000000000000001c8d5', 'hex');
  assert.deepEqual(decodeCompactPeers6(v6), [{ host: '2001:db8::1', port: 51413 }]);
  assert.deepEqual(encodeCompactPeers6([{ host: '2001:DB8::1', port: 51413 }]), v6);
});

test('a compact string that is not a whole number of entries is refused', () => {
  for (const n of [1, 5, 7, 13]) assert.throws(() => decodeCompactPeers(Buffer.alloc(n, 1)), isTrackerError('invalid-peers'));
  for (const n of [1, 17, 19, 6]) assert.throws(() => decodeCompactPeers6(Buffer.alloc(n, 1)), isTrackerError('invalid-peers'));
});

test('entries with port 0 are dropped; encoders refuse them', () => {
  const bytes = Buffer.from([1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 1]);
  assert.deepEqual(decodeCompactPeers(bytes), [{ host: '5.6.7.8', port: 1 }]);
  assert.deepEqual(decodeCompactPeers6(Buffer.alloc(18)), []);
  assert.throws(() => encodeCompactPeers([{ host: '1.2.3.4', port: 0 }]), isTrackerError('invalid-argument'));
  assert.throws(() => encodeCompactPeers([{ host: '::1', port: 1 }]), isTrackerError('invalid-argument'));
  assert.throws(() => encodeCompactPeers6([{ host: '1.2.3.4', port: 1 }]), isTrackerError('invalid-argument'));
});

test('dictionary-form peers round-trip through bencode, with and without peer ids', () => {
  const dictPeer = fc.record(
    { host: fc.oneof(peer4.map((p) => p.host), peer6.map((p) => p.host), hostName), port, peerId: hash20 },
    { requiredKeys: ['host', 'port'] },
  );
  fc.assert(
    fc.property(fc.array(dictPeer, { maxLength: 10 }), fc.boolean(), (peers, withIds) => {
      const wire = decode(encode(encodeDictionaryPeers(peers, withIds)));
      const expected = peers.map((p) => {
        const { peerId, ...address } = p;
        return withIds && peerId ? { ...address, host: address.host.toLowerCase(), peerId } : { ...address, host: address.host.toLowerCase() };
      });
      assert.deepEqual(decodeDictionaryPeers(wire), expected);
    }),
    { numRuns: 300 },
  );
});

test('dictionary-form peers: IP literals are normalized, bad entries refused, port 0 dropped', () => {
  const wire = decode(encode([
    { ip: '[2001:DB8::1]', port: 1 },
    { ip: '10.0.0.1', port: 0 },
    { ip: 'Peer.Example', port: 2 },
  ]));
  assert.deepEqual(decodeDictionaryPeers(wire), [
    { host: '2001:db8::1', port: 1 },
    { host: 'peer.example', port: 2 },
  ]);
  const bad: unknown[] = [
    [1],
    [{ port: 1 }],
    [{ ip: '1.2.3.4' }],
    [{ ip: '1.2.3.4', port: 65536 }],
    [{ ip: '1.2.3.4', port: -1 }],
    [{ ip: 'not a host', port: 1 }],
    [{ ip: '1.2.3.4', port: 1, 'peer id': 'short' }],
  ];
  for (const list of bad) {
    assert.throws(() => decodeDictionaryPeers(decode(encode(list as never))), isTrackerError('invalid-peer'), JSON.stringify(list));
  }
  assert.throws(() => decodeDictionaryPeers(decode(encode({ a: 1 }))), isTrackerError('invalid-peers'));
});
