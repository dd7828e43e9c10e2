import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_VERSION_DIGITS, describePeerId, generatePeerId, PEER_ID_PREFIX } from '../../../src/protocol/wire/index.js';

const id = (prefix: string) => Buffer.concat([Buffer.from(prefix, 'latin1'), Buffer.alloc(20 - prefix.length, 0xe7)]);

test('generatePeerId: -AC<version>- and 12 bytes from the given randomness', () => {
  const asked: number[] = [];
  const peerId = generatePeerId((n) => {
    asked.push(n);
    return Buffer.alloc(n, 0x5a);
  });
  assert.deepEqual(asked, [12]);
  assert.equal(peerId.length, 20);
  assert.equal(PEER_ID_PREFIX, `-AC${CLIENT_VERSION_DIGITS}-`);
  assert.equal(peerId.subarray(0, 8).toString('latin1'), PEER_ID_PREFIX);
  assert.deepEqual(peerId.subarray(8), Buffer.alloc(12, 0x5a));
  assert.deepEqual(describePeerId(peerId), { client: 'actorrent', version: '0.0.0.1' });
  assert.throws(() => generatePeerId(() => Buffer.alloc(11)), RangeError);
});

test('describePeerId names common Azureus-style clients', () => {
  const cases: Array<[string, string, string]> = [
    ['-LT2080-', 'libtorrent (Rasterbar)', '2.0.8'],
    ['-lt0D80-', 'libTorrent (rakshasa)', '0.13.8'],
    ['-qB4520-', 'qBittorrent', '4.5.2'],
    ['-TR3000-', 'Transmission', '3.00'],
    ['-TR294Z-', 'Transmission', '2.94+'],
    ['-TR4050-', 'Transmission', '4.0.5'],
    ['-TR0072-', 'Transmission', '0.72'],
    ['-WW0107-', 'WebTorrent', '1.7'],
    ['-WD0016-', 'WebTorrent Desktop', '0.16'],
    ['-DE13F0-', 'Deluge', '1.3.15'],
    ['-UT355S-', 'µTorrent', '3.5.5.28'],
  ];
  for (const [prefix, client, version] of cases) {
    assert.deepEqual(describePeerId(id(prefix)), { client, version }, prefix);
  }
});

test('describePeerId reads mainline-style dashed ids (aria2, BitTorrent)', () => {
  assert.deepEqual(describePeerId(id('A2-1-36-0-')), { client: 'aria2', version: '1.36.0' });
  assert.deepEqual(describePeerId(id('M4-3-6--')), { client: 'BitTorrent (mainline)', version: '4.3.6' });
  assert.deepEqual(describePeerId(id('M4-20-8-')), { client: 'BitTorrent (mainline)', version: '4.20.8' });
});

test('describePeerId: unknown or malformed ids → undefined', () => {
  assert.equal(describePeerId(id('-ZZ1234-')), undefined);
  assert.equal(describePeerId(id('-LT20!0-')), undefined);
  assert.equal(describePeerId(id('-TRabcd-')), undefined);
  assert.equal(describePeerId(id('A2-x-36-0-')), undefined);
  assert.equal(describePeerId(Buffer.alloc(20)), undefined);
  assert.equal(describePeerId(Buffer.alloc(3)), undefined);
  assert.equal(describePeerId(id('exbc')), undefined);
});
