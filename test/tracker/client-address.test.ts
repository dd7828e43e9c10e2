import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddress, clientAddressBytes } from '../../src/tracker/client-address.js';

test('socket addresses in canonical form; IPv4-mapped IPv6 becomes IPv4', () => {
  assert.deepEqual(clientAddress('127.0.0.1'), { host: '127.0.0.1', family: 'ipv4' });
  assert.deepEqual(clientAddress('::ffff:127.0.0.1'), { host: '127.0.0.1', family: 'ipv4' });
  assert.deepEqual(clientAddress('::FFFF:7f00:1'), { host: '127.0.0.1', family: 'ipv4' });
  assert.deepEqual(clientAddress('::1'), { host: '::1', family: 'ipv6' });
  assert.deepEqual(clientAddress('2001:0DB8:0:0:0:0:0:1'), { host: '2001:db8::1', family: 'ipv6' });
  assert.deepEqual(clientAddress('[2001:db8::1]'), { host: '2001:db8::1', family: 'ipv6' });
  assert.deepEqual(clientAddress('fe80::1%eth0'), { host: 'fe80::1', family: 'ipv6' });
});

test('anything but an IP literal is refused', () => {
  for (const text of ['', 'localhost', '1.2.3', '010.1.1.1', '1.2.3.4.5', ':::', 'example.com']) {
    assert.equal(clientAddress(text), undefined, text);
  }
});

test('clientAddressBytes: the same reading, as 4 or 16 bytes, 0 for anything else', () => {
  const bytes = (text: string) => {
    const out = new Uint8Array(16);
    const n = clientAddressBytes(text, out);
    return [...out.subarray(0, n)];
  };
  assert.deepEqual(bytes('127.0.0.1'), [127, 0, 0, 1]);
  assert.deepEqual(bytes('::ffff:10.1.2.3'), [10, 1, 2, 3]);
  assert.deepEqual(bytes('::ffff:a01:203'), [10, 1, 2, 3]);
  assert.deepEqual(bytes('::1'), [...Array(15).fill(0), 1]);
  assert.deepEqual(bytes('[2001:db8::1]'), [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]);
  for (const text of ['', '1.2.3', '010.1.1.1', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4 ', '::ffff:1.2.3', 'localhost']) {
    assert.deepEqual(bytes(text), [], text);
  }
});
