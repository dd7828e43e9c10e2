import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';
import { type LsdEmitted, type LsdInput, lsdMachine } from '../../src/actors/lsd.js';
import { decodeLsdAnnounce, encodeLsdAnnounce } from '../../src/protocol/lsd.js';
import { LsdLan } from '../../src/sim/lsd-lan.js';
import { SteppingClock } from '../support/stepping-clock.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const A = 'aa'.repeat(20);
const B = 'bb'.repeat(20);
const C = 'cc'.repeat(20);

/** An LSD actor on an in-memory LAN at `address`, with a stepping clock shared by the LAN. */
function startLsd(options: { lan?: LsdLan; clock?: SteppingClock; address?: string; port?: number; fail?: string } & Partial<LsdInput> = {}) {
  const clock = options.clock ?? new SteppingClock();
  const lan = options.lan ?? new LsdLan(clock);
  const address = options.address ?? '10.0.0.1';
  const peers: { infoHash: string; host: string; port: number }[] = [];
  const emitted: LsdEmitted[] = [];
  const actor = createActor(lsdMachine, {
    clock,
    input: {
      openSocket: () => lan.factory(address, { fail: options.fail })({}),
      clock,
      port: options.port ?? 6881,
      cookie: options.cookie ?? `c${address.replace(/\D/g, '')}`,
      onPeers: (infoHash, list) => list.forEach((p) => peers.push({ infoHash, ...p })),
      ...(options.intake ? { intake: options.intake } : {}),
    },
  });
  actor.on('*', (e) => emitted.push(e as LsdEmitted));
  actor.start();
  const sentBy = () => lan.sent.filter((s) => s.from === address).map((s) => ({ ...decodeLsdAnnounce(s.data), family: s.family }));
  return { actor, clock, lan, peers, emitted, sentBy, state: () => actor.getSnapshot() };
}

/** An announce from a host with no actor of its own (another client on the LAN). */
const announceFrom = (port: number, infoHashes: string[], cookie?: string) => encodeLsdAnnounce({ family: 'IPv4', port, infoHashes, cookie });

test('opens the socket, announces each torrent at once, then every 5 minutes and never sooner', async () => {
  const lsd = startLsd({ port: 51413 });
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await lsd.clock.advance(0);
  assert.ok(lsd.state().matches('running'));
  assert.deepEqual(lsd.emitted[0], { type: 'ready', families: ['IPv4'], warnings: [] });
  assert.deepEqual(lsd.sentBy(), [{ port: 51413, infoHashes: [A], cookie: 'c10001', host: '239.192.152.143:6771', skippedInfoHashes: 0, family: 'IPv4' }]);

  await lsd.clock.advance(5 * MINUTE - 1);
  assert.equal(lsd.sentBy().length, 1, 'nothing before 5 minutes');
  await lsd.clock.advance(1);
  assert.equal(lsd.sentBy().length, 2);
  await lsd.clock.advance(10 * MINUTE);
  assert.equal(lsd.sentBy().length, 4);
  assert.equal(lsd.state().context.counts.sent, 4);
  lsd.actor.stop();
});

test('torrents added together go out in one datagram; one added later gets its own', async () => {
  const lsd = startLsd();
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: B });
  await lsd.clock.advance(0);
  await lsd.clock.advance(30 * SECOND);
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: C });
  await lsd.clock.advance(0);
  assert.deepEqual(lsd.sentBy().map((s) => s.infoHashes), [[A, B], [C]]);
  await lsd.clock.advance(5 * MINUTE);
  assert.deepEqual(lsd.sentBy().map((s) => s.infoHashes), [[A, B], [C], [A, B], [C]]);
  lsd.actor.stop();
});

test('torrents added in one go while running share a datagram', async () => {
  const lsd = startLsd();
  await lsd.clock.advance(0);
  assert.ok(lsd.state().matches('running'));
  for (const infoHash of [A, B, C]) lsd.actor.send({ type: 'ADD_TORRENT', infoHash });
  await lsd.clock.advance(0);
  assert.deepEqual(lsd.sentBy().map((s) => s.infoHashes), [[A, B, C]]);
  lsd.actor.stop();
});

test('a torrent removed is no longer announced; re-added within the minute it waits for that minute', async () => {
  const lsd = startLsd();
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await lsd.clock.advance(0);
  lsd.actor.send({ type: 'REMOVE_TORRENT', infoHash: A });
  await lsd.clock.advance(10 * SECOND);
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await lsd.clock.advance(49 * SECOND);
  assert.equal(lsd.sentBy().length, 1, 'at most once a minute per torrent');
  await lsd.clock.advance(SECOND);
  assert.equal(lsd.sentBy().length, 2);
  lsd.actor.send({ type: 'REMOVE_TORRENT', infoHash: A });
  await lsd.clock.advance(20 * MINUTE);
  assert.equal(lsd.sentBy().length, 2);
  lsd.actor.stop();
});

test('two services on one LAN learn each other for the torrents they share, and ignore their own announces', async () => {
  const clock = new SteppingClock();
  const lan = new LsdLan(clock, { latencyMs: 1 });
  const one = startLsd({ lan, clock, address: '10.0.0.1', port: 6881 });
  const two = startLsd({ lan, clock, address: '10.0.0.2', port: 6882 });
  one.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  one.actor.send({ type: 'ADD_TORRENT', infoHash: B });
  two.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await clock.advance(10);
  assert.deepEqual(one.peers, [{ infoHash: A, host: '10.0.0.2', port: 6882 }]);
  assert.deepEqual(two.peers, [{ infoHash: A, host: '10.0.0.1', port: 6881 }], 'B is not a torrent of two');
  assert.equal(one.state().context.counts.own, 1, 'its own announce looped back and was recognised');
  assert.equal(two.state().context.counts.own, 1);
  assert.deepEqual(one.emitted.filter((e) => e.type === 'peer'), [{ type: 'peer', infoHash: A, address: '10.0.0.2:6882' }]);
  one.actor.stop();
  two.actor.stop();
});

test('announces from other clients: any of our torrents among several infohashes; a v6 link-local sender is skipped', async () => {
  const lsd = startLsd();
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: C });
  await lsd.clock.advance(0);
  lsd.lan.inject('10.0.0.9', announceFrom(7000, [B, C, A], 'deadbeef'));
  lsd.lan.inject('10.0.0.8', Buffer.from(`BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\nInfohash: ${A.toUpperCase()}\r\n\r\n\r\n`)); // Transmission: no cookie
  lsd.lan.inject('fe80::1', announceFrom(7001, [A]), 'IPv6');
  lsd.lan.inject('2001:db8::5', announceFrom(7002, [A]), 'IPv6');
  await lsd.clock.advance(0);
  assert.deepEqual(lsd.peers, [
    { infoHash: C, host: '10.0.0.9', port: 7000 },
    { infoHash: A, host: '10.0.0.9', port: 7000 },
    { infoHash: A, host: '10.0.0.8', port: 51413 },
    { infoHash: A, host: '2001:db8::5', port: 7002 },
  ]);
  lsd.actor.stop();
});

test('malformed datagrams and floods are dropped and counted, and honest announces still get through later', async () => {
  const lsd = startLsd({ intake: { perSourceBurst: 5, perSourcePerSecond: 1, totalBurst: 50, totalPerSecond: 10 } });
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await lsd.clock.advance(0);
  lsd.lan.inject('10.0.0.66', Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  lsd.lan.inject('10.0.0.66', Buffer.alloc(70_000, 1));
  for (let i = 0; i < 1000; i++) lsd.lan.inject('10.0.0.77', announceFrom(1000 + i, [A]));
  await lsd.clock.advance(0);
  assert.equal(lsd.peers.filter((p) => p.host === '10.0.0.77').length, 5, 'the burst of one source, no more');
  await lsd.clock.advance(SECOND);
  const { counts } = lsd.state().context;
  assert.equal(counts.malformed, 2);
  assert.equal(counts.rateLimited, 995);
  assert.equal(lsd.emitted.filter((e) => e.type === 'peer').length, 5);

  // Another address is not held back by the first one's flood; the flooder recovers at its rate.
  lsd.lan.inject('10.0.0.5', announceFrom(6000, [A]));
  await lsd.clock.advance(2 * SECOND);
  lsd.lan.inject('10.0.0.77', announceFrom(9999, [A]));
  await lsd.clock.advance(0);
  assert.deepEqual(lsd.peers.slice(-2), [{ infoHash: A, host: '10.0.0.5', port: 6000 }, { infoHash: A, host: '10.0.0.77', port: 9999 }]);
  lsd.actor.stop();
});

test('without a socket (no multicast here) it fails alone and says why', async () => {
  const lsd = startLsd({ fail: 'no route to the group' });
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await lsd.clock.advance(0);
  assert.equal(lsd.state().status, 'done');
  assert.ok(lsd.state().matches('failed'));
  assert.deepEqual(lsd.emitted, [{ type: 'failed', error: 'no route to the group' }]);
  lsd.actor.send({ type: 'ADD_TORRENT', infoHash: B }); // ignored, no throw
});

test('a failed send is a warning, and the next announce is tried on time', async () => {
  const clock = new SteppingClock();
  const lan = new LsdLan(clock);
  let failing = true;
  const actor = createActor(lsdMachine, {
    clock,
    input: {
      openSocket: async () => {
        const socket = await lan.factory('10.0.0.1')({});
        return { ...socket, families: socket.families, warnings: socket.warnings, send: (family, data) => (failing ? Promise.reject(new Error('ENETUNREACH')) : socket.send(family, data)) };
      },
      clock,
      port: 1,
      onPeers: () => undefined,
    },
  });
  const warnings: string[] = [];
  actor.on('warning', (e) => warnings.push(e.message));
  actor.start();
  actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await clock.advance(0);
  assert.deepEqual(warnings, ['cannot send an LSD announce (IPv4): ENETUNREACH']);
  assert.equal(actor.getSnapshot().context.counts.sendFailures, 1);
  failing = false;
  await clock.advance(5 * MINUTE);
  assert.equal(lan.sent.length, 1);
  actor.stop();
});

test('STOP closes the socket, also when it comes while the socket is still opening', async () => {
  const lsd = startLsd();
  await lsd.clock.advance(0);
  assert.equal(lsd.lan.open, 1);
  lsd.actor.send({ type: 'STOP' });
  await lsd.clock.advance(0);
  assert.equal(lsd.lan.open, 0);
  assert.ok(lsd.state().matches('stopped'));

  const early = startLsd();
  early.actor.send({ type: 'STOP' });
  await early.clock.advance(0);
  assert.ok(early.state().matches('stopped'));
  assert.equal(early.lan.open, 0, 'the socket that opened after STOP was closed');
});

test('a failed IPv6 send is counted without a warning (a tentative address refuses sends for a while); IPv4 still goes out', async () => {
  const clock = new SteppingClock();
  const lan = new LsdLan(clock);
  const actor = createActor(lsdMachine, {
    clock,
    input: {
      openSocket: async () => {
        const socket = await lan.factory('10.0.0.1')({});
        return {
          ...socket,
          families: ['IPv4', 'IPv6'],
          warnings: socket.warnings,
          send: (family, data) => (family === 'IPv6' ? Promise.reject(new Error('send EADDRNOTAVAIL ff15::efc0:988f:6771')) : socket.send(family, data)),
        };
      },
      clock,
      port: 1,
      onPeers: () => undefined,
    },
  });
  const warnings: string[] = [];
  actor.on('warning', (e) => warnings.push(e.message));
  actor.start();
  actor.send({ type: 'ADD_TORRENT', infoHash: A });
  await clock.advance(0);
  assert.deepEqual(warnings, []);
  assert.equal(actor.getSnapshot().context.counts.sendFailures, 1);
  assert.equal(lan.sent.length, 1, 'the IPv4 announce went out');
  actor.stop();
});
