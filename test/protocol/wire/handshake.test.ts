import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkHandshakePrefix,
  decodeHandshake,
  decodeReserved,
  encodeHandshake,
  encodeReserved,
  HANDSHAKE_LENGTH,
  WireError,
} from '../../../src/protocol/wire/index.js';
import { handshakeArb } from './arbitraries.js';

const infoHash = Buffer.alloc(20, 0xaa);
const peerId = Buffer.from('-AC0001-abcdefghijkl', 'latin1');

function assertWireError(fn: () => unknown, code: string) {
  assert.throws(fn, (err: unknown) => err instanceof WireError && err.code === code);
}

test('handshake layout: pstrlen 19, "BitTorrent protocol", reserved, infohash, peer id', () => {
  const bytes = encodeHandshake({ infoHash, peerId, flags: { extensionProtocol: true, fastExtension: true, dht: true } });
  assert.equal(bytes.length, HANDSHAKE_LENGTH);
  assert.equal(bytes[0], 19);
  assert.equal(bytes.subarray(1, 20).toString('latin1'), 'BitTorrent protocol');
  assert.equal(bytes.subarray(20, 28).toString('hex'), '0000000000100005');
  assert.deepEqual(bytes.subarray(28, 48), infoHash);
  assert.deepEqual(bytes.subarray(48, 68), peerId);
});

test('reserved flags: extension = reserved[5] & 0x10, fast = reserved[7] & 0x04, DHT = reserved[7] & 0x01', () => {
  assert.equal(encodeReserved({ extensionProtocol: true }).toString('hex'), '0000000000100000');
  assert.equal(encodeReserved({ fastExtension: true }).toString('hex'), '0000000000000004');
  assert.equal(encodeReserved({ dht: true }).toString('hex'), '0000000000000001');
  assert.equal(encodeReserved({}).toString('hex'), '0000000000000000');
  assert.deepEqual(decodeReserved(Buffer.from('0000000000100000', 'hex')), {
    extensionProtocol: true,
    fastExtension: false,
    dht: false,
  });
  assert.deepEqual(decodeReserved(Buffer.from('ffffffffffefffff', 'hex')), {
    extensionProtocol: false,
    fastExtension: true,
    dht: true,
  });
  // Flags are added on top of bits we do not interpret (e.g. libtorrent's v2 upgrade bit).
  const base = Buffer.from('0000000000000010', 'hex');
  assert.equal(encodeReserved({ dht: true }, base).toString('hex'), '0000000000000011');
});

test('round-trip: any reserved bytes, infohash and peer id', () => {
  fc.assert(
    fc.property(handshakeArb, (h) => {
      const decoded = decodeHandshake(encodeHandshake(h));
      assert.equal(decoded.type, 'handshake');
      assert.deepEqual(decoded.reserved, h.reserved);
      assert.deepEqual(decoded.infoHash, h.infoHash);
      assert.deepEqual(decoded.peerId, h.peerId);
      assert.deepEqual(decoded.flags, decodeReserved(h.reserved));
    }),
    { numRuns: 300 },
  );
});

test('decoded fields are copies, not views of the input', () => {
  const bytes = encodeHandshake({ infoHash, peerId });
  const decoded = decodeHandshake(bytes);
  bytes.fill(0);
  assert.deepEqual(decoded.infoHash, infoHash);
  assert.deepEqual(decoded.peerId, peerId);
});

test('typed errors: wrong pstrlen, wrong protocol string, wrong length', () => {
  const good = encodeHandshake({ infoHash, peerId });
  const withByte = (at: number, value: number) => {
    const b = Buffer.from(good);
    b[at] = value;
    return b;
  };
  assertWireError(() => decodeHandshake(withByte(0, 18)), 'handshake-pstrlen');
  assertWireError(() => decodeHandshake(withByte(0, 0x16)), 'handshake-pstrlen'); // an MSE / TLS first byte
  assertWireError(() => decodeHandshake(withByte(1, 'b'.charCodeAt(0))), 'handshake-protocol');
  assertWireError(() => decodeHandshake(withByte(19, 0)), 'handshake-protocol');
  assertWireError(() => decodeHandshake(good.subarray(0, 67)), 'handshake-length');
  assertWireError(() => decodeHandshake(Buffer.concat([good, Buffer.from([0])])), 'handshake-length');
  assertWireError(() => decodeHandshake(Buffer.alloc(0)), 'handshake-length');
});

test('checkHandshakePrefix refuses a wrong start as soon as it arrives, accepts any good prefix', () => {
  const good = encodeHandshake({ infoHash, peerId });
  for (let n = 0; n <= HANDSHAKE_LENGTH; n++) checkHandshakePrefix(good.subarray(0, n));
  assertWireError(() => checkHandshakePrefix(Buffer.from([0x47])), 'handshake-pstrlen'); // "G" of "GET /"
  const wrongLetter = Buffer.from('\x13BitTorrent', 'latin1');
  wrongLetter[5] = 0;
  assertWireError(() => checkHandshakePrefix(wrongLetter), 'handshake-protocol');
});

test('encodeHandshake refuses wrong-sized ids (our bug: RangeError)', () => {
  assert.throws(() => encodeHandshake({ infoHash: Buffer.alloc(19), peerId }), RangeError);
  assert.throws(() => encodeHandshake({ infoHash, peerId: Buffer.alloc(21) }), RangeError);
  assert.throws(() => encodeReserved({}, Buffer.alloc(7)), RangeError);
});
