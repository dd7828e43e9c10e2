import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageOf } from '../../src/util/message-of.js';
import { formatAddress, socketAddress } from '../../src/util/socket-address.js';

test('formatAddress brackets IPv6 hosts only', () => {
  assert.equal(formatAddress('10.0.0.1', 6881), '10.0.0.1:6881');
  assert.equal(formatAddress('tracker.example', 80), 'tracker.example:80');
  assert.equal(formatAddress('::1', 6881), '[::1]:6881');
  assert.equal(formatAddress('::ffff:10.0.0.1', 1), '[::ffff:10.0.0.1]:1');
});

test('socketAddress is the connection name the server, the session and PeerWire share', () => {
  assert.equal(socketAddress({ remoteAddress: '10.0.0.1', remotePort: 6881 }), '10.0.0.1:6881');
  assert.equal(socketAddress({ remoteAddress: '::1', remotePort: 6881 }), '::1:6881', 'unbracketed, as it always was');
  assert.equal(socketAddress({}), '?:0', 'a socket already gone');
});

test('messageOf: an Error by its message, anything else as text', () => {
  assert.equal(messageOf(new RangeError('bad')), 'bad');
  assert.equal(messageOf('plain'), 'plain');
  assert.equal(messageOf(42), '42');
  assert.equal(messageOf(undefined), 'undefined');
});
