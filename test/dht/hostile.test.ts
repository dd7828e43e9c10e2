/**
 * Hostile DHT nodes against an actorrent DHT node, in the simulator (SimUdp, one SimClock): one
 * answering every query with thousands of bogus nodes, one flooding announce_peer without valid
 * tokens (from one address and from thousands of forged ones), one answering with wrong transaction
 * ids. In each case the victim's routing table, peer store and queries in flight stay bounded, and
 * it still answers an honest node.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../src/env/rng.js';
import type { DhtSocket } from '../../src/env/dht-socket.js';
import { MainlineDht } from '../../src/mainline-dht.js';
import { type KrpcMessage, type NodeContact, decodeKrpc, encodeKrpc } from '../../src/protocol/krpc/index.js';
import { runSimulation } from '../../src/sim/scheduler.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import { SimUdp } from '../../src/sim/sim-udp.js';

const PORT = 6881;
const VICTIM = '10.0.0.1';

interface RawNode {
  socket: DhtSocket;
  received: { message: KrpcMessage; host: string; port: number }[];
  send(message: KrpcMessage, host?: string, port?: number): void;
}

function setup(seed: number) {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, rng: seededRng(seed), defaultLink: { latencyMs: 10 } });
  const udp = new SimUdp(network, seededRng(seed + 1));
  const raw = (address: string, onMessage?: (node: RawNode, message: KrpcMessage, host: string, port: number) => void): RawNode => {
    const socket = udp.open(address, PORT);
    const node: RawNode = {
      socket,
      received: [],
      send: (message, host = VICTIM, port = PORT) => socket.send(encodeKrpc(message), host, port),
    };
    socket.onDatagram(({ data, host, port }) => {
      const message = decodeKrpc(data);
      node.received.push({ message, host, port });
      onMessage?.(node, message, host, port);
    });
    return node;
  };
  const victim = (bootstrap: string[]) =>
    new MainlineDht({ port: PORT, host: VICTIM, clock, rng: seededRng(seed + 2), socketFactory: udp.factory(VICTIM), bootstrap: bootstrap.map((host) => ({ host, port: PORT })) });
  const run = (ms: number) => runSimulation(clock, { deadline: clock.now() + ms, maxSteps: 1_000_000 });
  return { clock, udp, raw, victim, run };
}

const id = (byte: number) => Buffer.alloc(20, byte);
const t = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/** An honest node pings the victim and gets its answer. */
async function stillServing(env: ReturnType<typeof setup>, victim: MainlineDht, address: string): Promise<void> {
  const honest = env.raw(address);
  honest.send({ y: 'q', t: t(4242), query: { method: 'ping', id: id(0x42) } });
  await env.run(1000);
  const answer = honest.received.find((r) => r.message.y === 'r' && r.message.t.equals(t(4242)));
  assert.ok(answer && answer.message.y === 'r' && answer.message.response.id.equals(victim.nodeId), 'the victim still answers an honest ping');
  await honest.socket.close();
}

test('a node answering with 10 000 bogus nodes: table, lookups and queries in flight stay bounded; still serving', { timeout: 60_000 }, async () => {
  const env = setup(11);
  let bogusSent = 0;
  const rng = seededRng(99);
  // 300 unreachable nodes an answer (7.8 KB, under the datagram limit), new ones every time.
  const bogus = (): NodeContact[] =>
    Array.from({ length: 300 }, () => ({ id: Buffer.from(Array.from({ length: 20 }, () => Math.floor(rng() * 256))), host: `10.${9 + Math.floor(rng() * 2)}.${Math.floor(rng() * 256)}.${1 + Math.floor(rng() * 250)}`, port: 1 + Math.floor(rng() * 65000) }));
  const liar = env.raw('10.0.0.66', (node, message, host, port) => {
    if (message.y !== 'q') return;
    const nodes = bogus();
    bogusSent += nodes.length;
    node.send({ y: 'r', t: message.t, response: { id: id(0x66), nodes, token: Buffer.from('tok') } }, host, port);
  });
  const victim = env.victim(['10.0.0.66']);
  await env.run(2000);
  // Lookups that all start at the liar: each asks it and gets 300 nodes, never an answer from them.
  for (let i = 0; i < 40; i++) victim.track(Buffer.alloc(20, i + 1));
  let maxInFlight = 0;
  for (let s = 0; s < 120; s++) {
    await env.run(1000);
    maxInFlight = Math.max(maxInFlight, victim.stats().queriesInFlight);
  }
  // And one answer far larger than any honest one: 10 000 nodes in one datagram.
  const pool = bogus();
  liar.socket.send(encodeKrpc({ y: 'r', t: t(1), response: { id: id(0x66), nodes: Array.from({ length: 10_000 }, (_, i) => pool[i % pool.length]!) } }), VICTIM, PORT);
  bogusSent += 10_000;
  const before = victim.stats().counts;
  await env.run(3000);
  const stats = victim.stats();
  assert.ok(bogusSent >= 10_000, `bogus nodes sent: ${bogusSent}`);
  assert.ok(stats.nodes <= 1, `only the liar (who answers) can be in the table, never the bogus nodes: ${stats.nodes}`);
  assert.ok(maxInFlight <= 256, `queries in flight stay bounded: ${maxInFlight}`);
  assert.equal(stats.counts.malformed + stats.counts.rateLimited, before.malformed + before.rateLimited + 1, 'the 260 KB datagram was refused unread');
  assert.ok(stats.counts.lookups >= 40, `lookups ran: ${stats.counts.lookups}`);
  console.log(`bogus nodes: ${bogusSent} sent; table ${stats.nodes} node(s); at most ${maxInFlight} queries in flight; ${stats.counts.lookups} lookups, ${stats.counts.timeouts} time-outs, ${stats.counts.busy} refused as busy`);
  await stillServing(env, victim, '10.0.0.7');
  await victim.close();
});

test('a flood of announce_peer without valid tokens stores nothing, is rate limited, and the node still serves', { timeout: 60_000 }, async () => {
  const env = setup(12);
  const victim = env.victim([]);
  await env.run(1000);
  const flooder = env.raw('10.0.0.99');
  const announce = (n: number, token: Buffer): KrpcMessage => ({ y: 'q', t: t(n), query: { method: 'announce_peer', id: id(0x99), infoHash: id(0x11), port: 6881, impliedPort: false, token } });
  // 5 000 from one address within 5 s, with tokens we never gave.
  for (let i = 0; i < 5000; i++) {
    flooder.send(announce(i, Buffer.from(`forged${i}`)));
    if (i % 1000 === 999) await env.run(1000);
  }
  // 5 000 more from 5 000 forged source addresses, a token-less announce each (malformed: error 203).
  const noToken = Buffer.from('d1:ad2:id20:' + 'x'.repeat(20) + '9:info_hash20:' + 'y'.repeat(20) + '4:porti1ee1:q13:announce_peer1:t2:aa1:y1:qe', 'latin1');
  for (let i = 0; i < 5000; i++) env.udp.inject(`10.${20 + (i >> 16)}.${(i >> 8) & 255}.${(i & 255) + 1}`, 1000, noToken, VICTIM, PORT);
  await env.run(3000);
  const stats = victim.stats();
  assert.equal(stats.peersStored, 0, 'no announce without a valid token is stored');
  assert.equal(stats.torrentsStored, 0);
  assert.ok(stats.counts.badTokens > 0, 'forged tokens were answered with an error');
  assert.ok(stats.counts.rateLimited > 0, `the flood from one address was rate limited: ${JSON.stringify(stats.counts)}`);
  assert.ok(stats.counts.badTokens + stats.counts.rateLimited >= 5000, 'every forged announce was refused or dropped');
  assert.ok(flooder.received.filter((r) => r.message.y !== 'q').every((r) => r.message.y === 'e'), "the flooder's announces only ever got errors");
  // An honest announce with the token the victim gave still works.
  const honest = env.raw('10.0.0.8');
  honest.send({ y: 'q', t: t(1), query: { method: 'get_peers', id: id(0x08), infoHash: id(0x11) } });
  await env.run(500);
  const reply = honest.received.find((r) => r.message.y === 'r');
  assert.ok(reply && reply.message.y === 'r' && reply.message.response.token, 'get_peers gives a token');
  honest.send({ y: 'q', t: t(2), query: { method: 'announce_peer', id: id(0x08), infoHash: id(0x11), port: 5555, impliedPort: false, token: reply.message.response.token } });
  await env.run(500);
  assert.equal(victim.stats().peersStored, 1, 'the honest announce is stored');
  await stillServing(env, victim, '10.0.0.9');
  await victim.close();
});

test('a node replying with wrong transaction ids is never believed: not in the table, its answers dropped, lookups time out and end', { timeout: 60_000 }, async () => {
  const env = setup(13);
  let replies = 0;
  env.raw('10.0.0.77', (node, message, host, port) => {
    if (message.y !== 'q') return;
    replies++;
    // The right shape, a wrong transaction id (each answer twice: an echo with a byte flipped, and a random one).
    const wrong = Buffer.from(message.t);
    wrong[0] = wrong[0]! ^ 0xff;
    node.send({ y: 'r', t: wrong, response: { id: id(0x77), nodes: [{ id: id(0x78), host: '10.0.0.78', port: PORT }] } }, host, port);
    node.send({ y: 'r', t: Buffer.from('zz'), response: { id: id(0x77) } }, host, port);
  });
  const victim = env.victim(['10.0.0.77']);
  for (let i = 0; i < 10; i++) victim.track(Buffer.alloc(20, 0xa0 + i));
  await env.run(120_000);
  const stats = victim.stats();
  assert.ok(replies > 0, 'the liar was asked');
  assert.equal(stats.counts.repliesIn, 0, 'no answer with a wrong transaction id was taken');
  assert.ok(stats.counts.unexpected >= 2 * replies, `every one was counted as unexpected: ${stats.counts.unexpected} of ${2 * replies}`);
  assert.ok(stats.counts.timeouts >= 1, 'the queries to it timed out');
  assert.equal(stats.nodes, 0, 'the liar never made it into the routing table');
  assert.equal(stats.lookupsRunning, 0, 'every lookup ended');
  assert.equal(stats.queriesInFlight, 0);
  await stillServing(env, victim, '10.0.0.9');
  await victim.close();
});
