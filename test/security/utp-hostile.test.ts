/**
 * A uTP port under attack, in the simulator (the real endpoint and sockets on SimUdp): garbage
 * datagrams, a SYN flood from a thousand forged sources, acks of data never sent, a window of 4
 * GiB, data far past our window. Every attack stays bounded (half-open slots, reorder buffer,
 * in-flight packets), nothing throws, and an honest peer still connects and moves data byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytesFrom, seededRng } from '../../src/env/rng.js';
import type { UtpSocket } from '../../src/engine/utp/utp-socket.js';
import { ST_DATA, ST_STATE, ST_SYN, encodeUtpPacket } from '../../src/protocol/utp/index.js';
import { simTransfer, utpPair } from '../sim/utp-helpers.js';

const LINK = { latencyMs: 10, bandwidth: 2_000_000 };

test('garbage and a SYN flood leave the port bounded and serving an honest peer', async () => {
  const { clock, a, b, udp } = utpPair(LINK, 11);
  const accepted: UtpSocket[] = [];
  const listener = await b.listen({ host: '10.0.0.2', port: 7000 }, (s) => accepted.push(s as UtpSocket));
  const endpoint = b.endpoints()[0]!;
  const junk = randomBytesFrom(seededRng(5));
  for (let i = 0; i < 2000; i++) udp.inject('10.0.0.66', 1000 + (i % 50), junk(1 + (i % 60)), '10.0.0.2', 7000);
  // Valid-looking SYNs: 1000 forged addresses, and 200 more from one address.
  const syn = (id: number) => encodeUtpPacket({ type: ST_SYN, connectionId: id, timestampMicros: 1, timestampDiffMicros: 0, windowSize: 65536, seqNr: 1, ackNr: 0 });
  for (let i = 0; i < 1000; i++) udp.inject(`10.1.${i >> 8}.${i & 255}`, 5000, syn(i), '10.0.0.2', 7000);
  for (let i = 0; i < 200; i++) udp.inject('10.0.0.99', 5000 + i, syn(i), '10.0.0.2', 7000);
  await clock.advance(50, 1);
  assert.ok(endpoint.counts.malformed > 0, 'garbage was counted');
  assert.ok(endpoint.halfOpenCount <= 64, `half-open connections bounded (${endpoint.halfOpenCount})`);
  assert.equal(accepted.length, 0, 'no forged SYN reached the listener');
  assert.ok(endpoint.counts.synsRefused >= 1000);
  assert.ok(endpoint.counts.resetsSent <= 50, 'refusals are rate-limited: no amplification');
  // The flood's half-open entries time out (10 s); the honest peer is served meanwhile.
  await listener.close();
  const r = await simTransfer(clock, a, b, 500_000, { limitMs: 30_000 });
  assert.ok(r.ok, 'an honest transfer completes byte-exact after the flood');
  await clock.advance(12_000, 1);
  assert.equal(endpoint.halfOpenCount, 0, 'the forged half-open connections timed out');
});

test('acks of unsent data, a 4 GiB window and data past our window: ignored or bounded, and the transfer completes', async () => {
  const { clock, a, b, udp } = utpPair(LINK, 12);
  let server: UtpSocket | undefined;
  const attack = () => {
    if (!server) return;
    const forged = (type: typeof ST_DATA | typeof ST_STATE, seqNr: number, ackNr: number, windowSize: number, payload?: Buffer) =>
      encodeUtpPacket({ type, connectionId: server!.recvId, timestampMicros: 5, timestampDiffMicros: 5, windowSize, seqNr, ackNr }, payload);
    const client = { host: server.remoteAddress, port: server.remotePort };
    // An ack far past anything sent, with a window of 4 GiB.
    udp.inject(client.host, client.port, forged(ST_STATE, 1, 30_000, 0xffffffff), '10.0.0.2', 6881);
    // Data packets far ahead of the stream, and a flood at the edge of the reorder window.
    for (let k = 0; k < 50; k++) udp.inject(client.host, client.port, forged(ST_DATA, (Math.random() * 65536) | 0, 0, 65536, Buffer.alloc(1000, 1)), '10.0.0.2', 6881);
  };
  const r = await simTransfer(clock, a, b, 1_000_000, {
    limitMs: 60_000,
    onTick: () => {
      server ??= b.endpoints()[0]?.sockets()[0];
      attack();
      for (const s of b.endpoints()[0]?.sockets() ?? []) assert.ok(s.bufferedBytes < 4 * 1024 * 1024, 'the receiver holds a bounded amount');
    },
  });
  assert.ok(server, 'the attack ran');
  assert.ok(server!.counts.dropped > 0, 'forged packets were dropped');
  assert.ok(r.ok, 'the honest transfer completes byte-exact despite the forged packets');
});
