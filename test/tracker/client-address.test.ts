import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddress } from '../../src/tracker/client-address.js';

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
