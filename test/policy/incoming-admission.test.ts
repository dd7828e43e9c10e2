import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitIncoming } from '../../src/policy/incoming-admission.js';

const limits = { maxConnections: 4, maxPendingPerAddress: 2 };
const pending = (...hosts: string[]) => hosts.map((host, i) => ({ id: `r${i}`, host }));

test('below the limits a newcomer is read and nobody is evicted', () => {
  assert.deepEqual(admitIncoming(pending('a', 'b'), 1, 'c', limits), { admit: true });
});

test('an address at its cap of pending handshakes is refused, whatever room is left', () => {
  assert.deepEqual(admitIncoming(pending('a', 'a'), 0, 'a', limits), { admit: false, reason: '2 connections from a have not completed their handshake' });
  assert.deepEqual(admitIncoming(pending('a', 'a'), 0, 'b', limits), { admit: true });
});

test('at the connection limit the oldest pending connection makes room, whoever it is from', () => {
  assert.deepEqual(admitIncoming(pending('x', 'y'), 2, 'z', limits), {
    admit: true,
    evict: { id: 'r0', reason: 'connection limit of 4 reached: waited longest without a handshake' },
  });
});

test('at the limit with every connection handed over, the newcomer is refused', () => {
  assert.deepEqual(admitIncoming([], 4, 'z', limits), { admit: false, reason: 'connection limit of 4 reached' });
});
