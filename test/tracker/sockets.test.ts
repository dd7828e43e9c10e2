/**
 * The tracker on real sockets, 127.0.0.1 and ::1 only: HTTP and UDP on one port number, our own
 * tracker client against it, the security rules over the wire, and clear errors for a busy port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { announce as clientAnnounce } from '../../src/actors/tracker-announce.js';
import { createTrackerTransport } from '../../src/env/tracker-transport.js';
import { parseAnnounceResponse, parseScrapeResponse, percentEncode } from '../../src/protocol/tracker/index.js';
import { type RunningTracker, startTracker } from '../../src/tracker-server.js';
import { announceQuery } from './core-helpers.js';
import { hash, peerId } from './registry-helpers.js';
import { httpGet, rawUdpClient } from './udp-client.js';

describe('one tracker on 127.0.0.1, HTTP and UDP on the same port', () => {
  let tracker: RunningTracker;
  before(async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0, config: { interval: 120 } });
  });
  after(() => tracker.stop());

  test('a peer that announced over HTTP is given to one announcing over UDP, and the other way round', async () => {
    assert.equal(tracker.announceUrl, `http://127.0.0.1:${tracker.port}/announce`);
    assert.equal(tracker.udpUrl, `udp://127.0.0.1:${tracker.port}`);
    const first = await httpGet(`${tracker.announceUrl}?${announceQuery({ torrent: 10, peer: 1, port: 7001, left: 0 })}`);
    assert.equal(first.status, 200);
    assert.equal(parseAnnounceResponse(first.body).type, 'success');

    const udp = await rawUdpClient('127.0.0.1', tracker.port);
    try {
      const id = await udp.connect();
      const reply = await udp.announce(id, { infoHash: hash(10), peerId: peerId(2), port: 7002 });
      assert.deepEqual(reply, { action: 'announce', transactionId: 1001, interval: 120, leechers: 1, seeders: 1, peers: [{ host: '127.0.0.1', port: 7001 }] });
    } finally {
      await udp.close();
    }
    const back = parseAnnounceResponse((await httpGet(`${tracker.announceUrl}?${announceQuery({ torrent: 10, peer: 1, port: 7001, left: 0 })}`)).body);
    assert.deepEqual(back.type === 'success' && back.peers, [{ host: '127.0.0.1', port: 7002 }]);

    const scrape = parseScrapeResponse((await httpGet(`http://127.0.0.1:${tracker.port}/scrape?info_hash=${percentEncode(hash(10))}`)).body);
    assert.deepEqual(scrape.type === 'success' && scrape.files.get(hash(10).toString('hex')), { complete: 1, downloaded: 0, incomplete: 1 });
    const stats = await httpGet(`http://127.0.0.1:${tracker.port}/stats`);
    assert.equal(stats.contentType, 'application/json');
    const json = JSON.parse(stats.body.toString()) as { requests: { http: { announce: number }; udp: { connect: number; announce: number } } };
    assert.ok(json.requests.http.announce >= 2 && json.requests.udp.connect >= 1 && json.requests.udp.announce >= 1);
  });

  test("actorrent's own tracker client announces over HTTP and over UDP (a fresh socket per request)", async () => {
    const transport = createTrackerTransport({ localAddress: '127.0.0.1' });
    const request = (url: string, port: number, id: number, left: number) =>
      clientAnnounce(
        {
          url,
          event: 'started',
          infoHash: hash(11),
          peerId: peerId(id),
          port,
          uploaded: 0,
          downloaded: 0,
          left,
          numwant: 50,
          key: id,
          transport,
          now: () => Date.now(),
          rng: Math.random,
          timeouts: { httpMs: 5000, udpMs: 2000, udpAttempts: 1 },
        },
        new AbortController().signal,
      );
    const seeder = await request(tracker.announceUrl!, 7101, 1, 0);
    assert.deepEqual(seeder.peers, []);
    const leecher = await request(tracker.udpUrl!, 7102, 2, 100);
    assert.deepEqual(leecher.peers, [{ host: '127.0.0.1', port: 7101 }]);
    assert.deepEqual([leecher.complete, leecher.incomplete], [1, 1]);
  });

  test('security over the wire: a forged connection id is refused; the ip field and the ip parameter are ignored', async () => {
    const udp = await rawUdpClient('127.0.0.1', tracker.port);
    try {
      const forged = await udp.announce(0x41727101980n, { infoHash: hash(12) });
      assert.deepEqual(forged, { action: 'error', transactionId: 1000, message: 'invalid or expired connection id' });
      const id = await udp.connect();
      assert.equal((await udp.announce(id ^ 1n, { infoHash: hash(12) })).action, 'error');
      await udp.announce(id, { infoHash: hash(12), peerId: peerId(1), port: 7201, ip: '198.51.100.1' });
    } finally {
      await udp.close();
    }
    await httpGet(`${tracker.announceUrl}?${announceQuery({ torrent: 12, peer: 2, port: 7202, extra: 'ip=198.51.100.2' })}`);
    const reply = parseAnnounceResponse((await httpGet(`${tracker.announceUrl}?${announceQuery({ torrent: 12, peer: 3, port: 7203 })}`)).body);
    assert.equal(reply.type, 'success');
    assert.deepEqual(
      reply.type === 'success' && reply.peers.map((p) => `${p.host}:${p.port}`).sort(),
      ['127.0.0.1:7201', '127.0.0.1:7202'],
    );
  });

  test('malformed requests: a failure reason over HTTP, an error packet over UDP, and the tracker keeps serving', async () => {
    const bad = await httpGet(`${tracker.announceUrl}?info_hash=%41`);
    assert.equal(bad.status, 200);
    assert.match(bad.body.toString(), /^d14:failure reason/);
    assert.equal((await httpGet(`http://127.0.0.1:${tracker.port}/nothing`)).status, 404);
    // A request line node cannot parse is answered 400 by node itself.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(tracker.port, '127.0.0.1', () => socket.end('GARBAGE\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400/);
    const udp = await rawUdpClient('127.0.0.1', tracker.port);
    try {
      const garbage = Buffer.alloc(40, 0xff);
      garbage.writeUInt32BE(1, 8);
      assert.deepEqual(await udp.exchange(garbage), { action: 'error', transactionId: 0xffffffff, message: 'truncated-packet' });
      assert.equal(typeof (await udp.connect()), 'bigint');
    } finally {
      await udp.close();
    }
    assert.equal((await httpGet(`http://127.0.0.1:${tracker.port}/stats`)).status, 200);
  });
});

/** Containers often run without IPv6: then there is no ::1 to test on. */
async function hasIPv6Loopback(): Promise<boolean> {
  const socket = dgram.createSocket('udp6');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(0, '::1', () => socket.close(() => resolve(true)));
  });
}

test('IPv6 on ::1: UDP replies carry 18-byte peers, HTTP puts them in peers6', async (t) => {
  if (!(await hasIPv6Loopback())) return t.skip('no IPv6 loopback (::1) on this machine');
  const tracker = await startTracker({ host: '::1', port: 0 });
  try {
    assert.equal(tracker.udpUrl, `udp://[::1]:${tracker.port}`);
    await httpGet(`http://[::1]:${tracker.port}/announce?${announceQuery({ peer: 1, port: 7301 })}`);
    const udp = await rawUdpClient('::1', tracker.port);
    try {
      const reply = await udp.announce(await udp.connect(), { peerId: peerId(2), port: 7302 });
      assert.deepEqual(reply.action === 'announce' && reply.peers, [{ host: '::1', port: 7301 }]);
    } finally {
      await udp.close();
    }
    const http = parseAnnounceResponse((await httpGet(`http://[::1]:${tracker.port}/announce?${announceQuery({ peer: 3, port: 7303 })}`)).body);
    assert.deepEqual(http.type === 'success' && http.peers.map((p) => p.host), ['::1', '::1']);
  } finally {
    await tracker.stop();
  }
});

test('a port in use: a clear error naming the port and the protocol', async () => {
  const udpBlocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udpBlocker.bind(0, '127.0.0.1', resolve));
  const udpPort = udpBlocker.address().port;
  const tcpBlocker = net.createServer();
  await new Promise<void>((resolve) => tcpBlocker.listen(0, '127.0.0.1', resolve));
  const tcpPort = (tcpBlocker.address() as net.AddressInfo).port;
  try {
    await assert.rejects(startTracker({ port: udpPort }), { message: `port ${udpPort} is already in use on 127.0.0.1 (UDP)` });
    await assert.rejects(startTracker({ port: tcpPort }), { message: `port ${tcpPort} is already in use on 127.0.0.1 (HTTP)` });
    // The HTTP side bound before UDP failed: it was closed again, so the port is free for TCP.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(udpPort, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // Only the protocol asked for is bound.
    const udpOnly = await startTracker({ port: tcpPort, http: false });
    await udpOnly.stop();
  } finally {
    udpBlocker.close();
    tcpBlocker.close();
  }
});

test('stop closes both sockets: the port can be bound again at once', async () => {
  const tracker = await startTracker({ port: 0 });
  const port = tracker.port;
  await tracker.stop();
  const again = await startTracker({ port });
  assert.equal(again.port, port);
  await again.stop();
});
