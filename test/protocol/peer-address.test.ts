import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePeerAddress, peerKey } from '../../src/protocol/peer-address.js';
import { socketAddress } from '../../src/util/socket-address.js';

test('peerKey: one spelling per address; unroutable hosts and bad ports are refused', () => {
  assert.equal(peerKey('127.0.0.1', 6881), '127.0.0.1:6881');
  assert.equal(peerKey('0:0:0:0:0:0:0:1', 6881), '[::1]:6881');
  assert.equal(peerKey('[::1]', 6881), '[::1]:6881');
  assert.equal(peerKey('::ffff:10.0.0.1', 80), '10.0.0.1:80', 'an IPv4 peer on a dual-stack socket');
  assert.equal(peerKey('Tracker.Example', 1), 'tracker.example:1');
  for (const [host, port] of [['0.0.0.0', 1], ['::', 1], ['10.0.0.1', 0], ['10.0.0.1', 65536], ['010.1.1.1', 1]] as const) {
    assert.equal(peerKey(host, port), undefined, `${host}:${port}`);
  }
});

test('parsePeerAddress reads --peer forms and what socketAddress writes', () => {
  assert.deepEqual(parsePeerAddress('[::1]:6881'), { host: '::1', port: 6881, key: '[::1]:6881' });
  assert.deepEqual(parsePeerAddress(socketAddress({ remoteAddress: '::1', remotePort: 6881 })), { host: '::1', port: 6881, key: '[::1]:6881' });
  assert.deepEqual(parsePeerAddress('10.0.0.1:80'), { host: '10.0.0.1', port: 80, key: '10.0.0.1:80' });
  assert.equal(parsePeerAddress('10.0.0.1'), undefined);
  assert.equal(parsePeerAddress('?:0'), undefined);
  assert.equal(parsePeerAddress('host:99999'), undefined);
});
