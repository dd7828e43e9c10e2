/**
 * The tracker's fast paths on real sockets (127.0.0.1): UDP replies written into one reused buffer,
 * many clients at once; HTTP keep-alive and pipelining on one connection; hostile datagrams.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { decodeUdpResponse, encodeUdpAnnounceRequest, encodeUdpConnectRequest, parseAnnounceResponse } from '../../src/protocol/tracker/index.js';
import { replyFromOneBuffer } from '../../src/env/tracker-server-transport.js';
import { type RunningTracker, startTracker } from '../../src/tracker-server.js';
import { until } from '../support/until.js';
import { announceQuery } from './core-helpers.js';
import { hash, peerId } from './registry-helpers.js';
import { rawUdpClient } from './udp-client.js';

describe('UDP: one reply buffer for every answer', () => {
  let tracker: RunningTracker;
  before(async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0, http: false });
  });
  after(() => tracker.stop());

  test('a burst from several sockets, none waiting for its answers: every reply is whole, for its own request, with the counts as they were', async () => {
    const SOCKETS = 4;
    const PER_SOCKET = 384; // 12 waves of 32
    const sockets = await Promise.all(
      Array.from({ length: SOCKETS }, async () => {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
        s.setRecvBufferSize(4 * 1024 * 1024);
        return s;
      }),
    );
    try {
      const connectionIds = await Promise.all(
        sockets.map(
          (s) =>
            new Promise<bigint>((resolve) => {
              s.once('message', (m) => resolve((decodeUdpResponse(m, 'IPv4') as { connectionId: bigint }).connectionId));
              s.send(encodeUdpConnectRequest({ transactionId: 1 }), tracker.port, '127.0.0.1');
            }),
        ),
      );
      // Peer n announces on torrent n % 3 with transaction id n: its reply must say n, and list
      // only peers of its own torrent (ports 20000 + m with m ≡ n mod 3), never itself. Sent in
      // waves of 32 a socket, none waiting for its answer: as many in flight as a socket buffer holds.
      const replies = new Map<number, Buffer>();
      for (const s of sockets) s.on('message', (m: Buffer) => replies.set(m.readUInt32BE(4), m));
      for (let wave = 0; wave < PER_SOCKET; wave += 32) {
        for (let k = wave; k < wave + 32; k++) {
          for (const [i, s] of sockets.entries()) {
            const n = k * SOCKETS + i;
            const packet = encodeUdpAnnounceRequest({ connectionId: connectionIds[i]!, transactionId: n, infoHash: hash(n % 3), peerId: peerId(n), downloaded: 0, left: 1, uploaded: 0, key: n, port: 20_000 + n, numWant: 200 });
            s.send(packet, tracker.port, '127.0.0.1');
          }
        }
        // UDP may drop a few under a burst; most must come back, and every one that does must be right.
        await until(() => replies.size >= (wave + 32) * SOCKETS * 0.9, { what: `the replies of wave ${wave / 32}`, timeoutMs: 5000 });
      }
      await new Promise((r) => setTimeout(r, 100));
      for (const [n, reply] of replies) {
        const r = decodeUdpResponse(reply, 'IPv4');
        assert.equal(r.action, 'announce', `reply ${n}`);
        if (r.action !== 'announce') continue;
        assert.equal(r.transactionId, n);
        assert.ok(r.leechers >= 1 && r.leechers <= Math.ceil((SOCKETS * PER_SOCKET) / 3), `reply ${n}: leechers ${r.leechers}, seeders ${r.seeders}, ${r.peers.length} peers, ${JSON.stringify(tracker.stats())}`);
        for (const p of r.peers) {
          assert.equal(p.host, '127.0.0.1');
          assert.equal((p.port - 20_000) % 3, n % 3, `reply ${n} lists peer ${p.port - 20_000} of another torrent`);
          assert.notEqual(p.port, 20_000 + n, `reply ${n} lists its own peer`);
        }
      }
    } finally {
      for (const s of sockets) s.close();
    }
  });

  test('hostile datagrams (random bytes, every length up to 200) are ignored or refused, and honest clients are still served', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 0xff;
    for (let length = 0; length <= 200; length++) {
      const packet = Buffer.from(Array.from({ length }, random));
      // Half of them look like announces: action 1 with a garbage connection id.
      if (length >= 12 && length % 2) packet.writeUInt32BE(1, 8);
      s.send(packet, tracker.port, '127.0.0.1');
    }
    const client = await rawUdpClient('127.0.0.1', tracker.port);
    try {
      const reply = await client.announce(await client.connect(), { infoHash: hash(77), peerId: peerId(1), port: 6881 });
      assert.equal(reply.action, 'announce');
      const udp = tracker.stats().requests.udp;
      assert.ok(udp.ignored >= 16, `${udp.ignored} datagrams under 16 bytes ignored`);
      assert.ok(udp.failed >= 90, `${udp.failed} refused`);
    } finally {
      s.close();
      await client.close();
    }
  });
});

test('a reply the kernel queued keeps its bytes: the next replies are written into a new buffer', () => {
  // A socket that queues every send, keeping a reference to the bytes, as libuv does on EAGAIN.
  const queued: Buffer[] = [];
  const socket = {
    send(buffer: Buffer, offset: number, length: number) {
      queued.push(buffer.subarray(offset, offset + length));
    },
    getSendQueueCount: () => queued.length,
  } as unknown as Parameters<typeof replyFromOneBuffer>[0];
  const onMessage = replyFromOneBuffer(socket, (data, _address, _port, out) => data.copy(out));
  for (const text of ['first reply', 'second', 'third and longest reply']) onMessage(Buffer.from(text), { address: '127.0.0.1', port: 1 });
  assert.deepEqual(queued.map((b) => b.toString()), ['first reply', 'second', 'third and longest reply']);
});

test('while nothing is queued, every reply goes out of the same buffer', () => {
  const sent: Buffer[] = [];
  const socket = {
    send(buffer: Buffer) {
      sent.push(buffer);
    },
    getSendQueueCount: () => 0,
  } as unknown as Parameters<typeof replyFromOneBuffer>[0];
  const onMessage = replyFromOneBuffer(socket, (data, _address, _port, out) => data.copy(out));
  onMessage(Buffer.from('a'), { address: '127.0.0.1', port: 1 });
  onMessage(Buffer.from('b'), { address: '127.0.0.1', port: 1 });
  onMessage(Buffer.alloc(0), { address: '127.0.0.1', port: 1 }); // nothing to answer: nothing sent
  assert.equal(sent.length, 2);
  assert.equal(sent[0], sent[1]);
});

describe('HTTP keep-alive', () => {
  let tracker: RunningTracker;
  before(async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0, udp: false });
  });
  after(() => tracker.stop());

  const request = (peer: number, extra = '') => `GET /announce?${announceQuery({ peer, port: 7000 + peer })} HTTP/1.1\r\nHost: 127.0.0.1${extra}\r\n\r\n`;

  /** Splits what a connection received into responses, by their Content-Length. */
  function responses(bytes: Buffer): { head: string; body: Buffer }[] {
    const out: { head: string; body: Buffer }[] = [];
    for (let at = 0; at < bytes.length; ) {
      const end = bytes.indexOf('\r\n\r\n', at);
      if (end < 0) break;
      const head = bytes.subarray(at, end).toString('latin1');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? NaN);
      assert.ok(Number.isInteger(length), `a Content-Length in ${head}`);
      if (end + 4 + length > bytes.length) break;
      out.push({ head, body: bytes.subarray(end + 4, end + 4 + length) });
      at = end + 4 + length;
    }
    return out;
  }

  test('one connection: announce after announce, then ten pipelined in one write, answered in order with Content-Length and kept alive', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: tracker.port });
    let received = Buffer.alloc(0);
    let closed = false;
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    socket.on('close', () => (closed = true));
    try {
      for (let peer = 1; peer <= 5; peer++) {
        socket.write(request(peer));
        await until(() => responses(received).length === peer, { what: `answer ${peer}`, timeoutMs: 3000 });
      }
      socket.write(Array.from({ length: 10 }, (_, i) => request(100 + i)).join(''));
      await until(() => responses(received).length === 15, { what: 'the pipelined answers', timeoutMs: 3000 });
      const all = responses(received);
      for (const [i, { head, body }] of all.entries()) {
        assert.match(head, /^HTTP\/1\.1 200 /);
        assert.match(head, /\r\nconnection: keep-alive/i);
        const reply = parseAnnounceResponse(body);
        assert.equal(reply.type, 'success');
        // Each answer counts the peers announced before it and itself: they came in order.
        if (reply.type === 'success') assert.equal(reply.incomplete, i + 1);
      }
      assert.equal(closed, false);
      assert.equal(tracker.httpConnections()?.open, 1);
    } finally {
      socket.destroy();
    }
  });

  test('a request with a body (trackers take none) is answered, the body drained unread, and the connection serves the next one', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: tracker.port });
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    try {
      const body = 'x'.repeat(100_000);
      socket.write(`POST /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      socket.write(request(900));
      await until(() => responses(received).length === 2, { what: 'both answers', timeoutMs: 3000 });
      const [refused, served] = responses(received);
      assert.match(refused!.head, /^HTTP\/1\.1 405 /);
      assert.equal(parseAnnounceResponse(served!.body).type, 'success');
    } finally {
      socket.destroy();
    }
  });

  test('an HTTP/1.0 client without keep-alive is answered and closed; `Connection: close` too', async () => {
    for (const [line, extra] of [
      ['HTTP/1.0', ''],
      ['HTTP/1.1', '\r\nConnection: close'],
    ] as const) {
      const socket = net.connect({ host: '127.0.0.1', port: tracker.port });
      let received = Buffer.alloc(0);
      let closed = false;
      socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
      socket.on('close', () => (closed = true));
      socket.write(request(500).replace('HTTP/1.1', line).replace('\r\n\r\n', `${extra}\r\n\r\n`));
      await until(() => closed, { what: `${line}${extra} closed`, timeoutMs: 3000 });
      const [answer] = responses(received);
      assert.ok(answer, 'answered before closing');
      assert.equal(parseAnnounceResponse(answer.body).type, 'success');
    }
  });
});
