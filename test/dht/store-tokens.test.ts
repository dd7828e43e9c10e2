/**
 * Write tokens (valid 5 to 10 minutes, tied to the IP), the peer store (expiry, bounds), the
 * answers to each query, BEP 42 node ids (the BEP's test vectors), and the saved routing table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../src/env/rng.js';
import { answerQuery } from '../../src/dht/answer.js';
import { isExemptAddress, nodeIdForAddress, nodeIdMatchesAddress } from '../../src/dht/bep42.js';
import { PeerStore } from '../../src/dht/peer-store.js';
import { RoutingTable } from '../../src/dht/routing-table.js';
import { decodeDhtState, encodeDhtState } from '../../src/dht/saved-state.js';
import { issueToken, newSecrets, rotateSecrets, tokenValid } from '../../src/dht/tokens.js';

const MIN = 60_000;

test('tokens: valid for the IP they were given to, across one rotation (5 to 10 minutes), not two', () => {
  const rng = seededRng(1);
  const s0 = newSecrets(0, rng);
  const token = issueToken(s0, '10.0.0.1');
  assert.ok(tokenValid(s0, '10.0.0.1', token));
  assert.ok(!tokenValid(s0, '10.0.0.2', token), 'another address');
  assert.equal(rotateSecrets(s0, 4 * MIN, rng), s0, 'not rotated before 5 minutes');
  const s1 = rotateSecrets(s0, 5 * MIN, rng);
  assert.ok(tokenValid(s1, '10.0.0.1', token), 'still valid after one rotation');
  const s2 = rotateSecrets(s1, 10 * MIN, rng);
  assert.ok(!tokenValid(s2, '10.0.0.1', token), 'expired after two');
});

test('peer store: expiry after 30 minutes, at most maxPeersPerTorrent and maxTorrents, replies capped', () => {
  const store = new PeerStore({ maxTorrents: 3, maxPeersPerTorrent: 5, maxPeersPerReply: 4 });
  for (let i = 0; i < 10; i++) store.announce('aa', { host: `10.0.0.${i}`, port: 1 }, false, i);
  assert.equal(store.peerCount, 5);
  assert.deepEqual(store.peers('aa', 10).map((p) => p.host), ['10.0.0.9', '10.0.0.8', '10.0.0.7', '10.0.0.6']);
  for (const h of ['bb', 'cc', 'dd']) store.announce(h, { host: '10.0.1.1', port: 2 }, true, 20);
  assert.equal(store.torrentCount, 3);
  assert.deepEqual(store.peers('aa', 20), [], 'the stalest torrent was forgotten');
  assert.equal(store.peers('bb', 20 + 29 * MIN).length, 1);
  assert.equal(store.peers('bb', 20 + 30 * MIN).length, 0, 'expired');
  store.expire(20 + 30 * MIN);
  assert.equal(store.torrentCount, 0);
});

test('answers: ping, find_node, get_peers with a token, announce_peer with and without a valid token (implied port), unknown methods', () => {
  const rng = seededRng(2);
  const self = Buffer.alloc(20, 0);
  const table = new RoutingTable(self, 0);
  for (let i = 1; i <= 20; i++) table.heard({ id: Buffer.alloc(20, i), host: `10.0.0.${i}`, port: 6881 }, 0, true);
  const context = { self, table, store: new PeerStore(), secrets: newSecrets(0, rng), now: 0, k: 8 };
  const from = { host: '10.9.9.9', port: 4000 };
  const t = Buffer.from('tt');
  const ping = answerQuery({ method: 'ping', id: Buffer.alloc(20, 9) }, t, from, context);
  assert.ok(ping.reply.y === 'r' && ping.reply.response.id.equals(self) && ping.reply.ip?.port === 4000);
  const find = answerQuery({ method: 'find_node', id: Buffer.alloc(20, 9), target: Buffer.alloc(20, 3) }, t, from, context);
  assert.ok(find.reply.y === 'r');
  assert.equal(find.reply.response.nodes?.length, 8);
  assert.ok(find.reply.response.nodes![0]!.id.equals(Buffer.alloc(20, 3)));
  const get = answerQuery({ method: 'get_peers', id: Buffer.alloc(20, 9), infoHash: Buffer.alloc(20, 7) }, t, from, context);
  assert.ok(get.reply.y === 'r' && get.reply.response.token && get.reply.response.values === undefined);
  const token = get.reply.response.token;
  const bad = answerQuery({ method: 'announce_peer', id: Buffer.alloc(20, 9), infoHash: Buffer.alloc(20, 7), port: 1, impliedPort: false, token: Buffer.from('nope') }, t, from, context);
  assert.ok(bad.reply.y === 'e' && bad.reply.code === 203);
  const fromElsewhere = answerQuery({ method: 'announce_peer', id: Buffer.alloc(20, 9), infoHash: Buffer.alloc(20, 7), port: 1, impliedPort: false, token }, t, { host: '10.8.8.8', port: 1 }, context);
  assert.ok(fromElsewhere.reply.y === 'e', 'a token is good only from the address it was given to');
  const good = answerQuery({ method: 'announce_peer', id: Buffer.alloc(20, 9), infoHash: Buffer.alloc(20, 7), port: 1, impliedPort: true, token }, t, from, context);
  assert.ok(good.reply.y === 'r');
  const again = answerQuery({ method: 'get_peers', id: Buffer.alloc(20, 9), infoHash: Buffer.alloc(20, 7) }, t, from, context);
  assert.ok(again.reply.y === 'r');
  assert.deepEqual(again.reply.response.values, [{ host: '10.9.9.9', port: 4000 }], 'implied_port: the datagram source port');
  const unknown = answerQuery({ method: 'unknown', name: 'x', id: Buffer.alloc(20, 9) }, t, from, context);
  assert.ok(unknown.reply.y === 'e' && unknown.reply.code === 204);
});

test('BEP 42: the test vectors verify, other addresses do not, generated ids verify, private addresses are exempt', () => {
  const vectors: [string, string][] = [
    ['124.31.75.21', '5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'],
    ['21.75.31.124', '5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'],
    ['65.23.51.170', 'a5d43220bc8f112a3d426c84764f8c2a1150e616'],
    ['84.124.73.14', '1b0321dd1bb1fe518101ceef99462b947a01ff41'],
    ['43.213.53.83', 'e56f6cbf5b7c4be0237986d5243b87aa6d51305a'],
  ];
  for (const [ip, id] of vectors) {
    assert.ok(nodeIdMatchesAddress(Buffer.from(id, 'hex'), ip), ip);
    assert.ok(!nodeIdMatchesAddress(Buffer.from(id, 'hex'), '8.8.4.4'), `${ip}'s id at another address`);
  }
  const rng = seededRng(4);
  for (const ip of ['1.2.3.4', '203.0.113.7', '2001:db8::1']) assert.ok(nodeIdMatchesAddress(nodeIdForAddress(ip, rng), ip), ip);
  for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '172.16.0.1', '::1', 'fd00::1']) assert.ok(isExemptAddress(ip), ip);
  assert.ok(!isExemptAddress('8.8.8.8'));
});

test('the saved routing table round-trips; damaged files give an empty table, never an error', () => {
  const state = { id: Buffer.alloc(20, 5), nodes: [{ id: Buffer.alloc(20, 1), host: '10.0.0.1', port: 6881 }, { id: Buffer.alloc(20, 2), host: '2001:db8::2', port: 6882 }] };
  assert.deepEqual(decodeDhtState(encodeDhtState(state)), state);
  assert.deepEqual(decodeDhtState(Buffer.from('garbage')), { nodes: [] });
  assert.deepEqual(decodeDhtState(Buffer.from('d5:nodes3:abce')), { nodes: [] });
});
