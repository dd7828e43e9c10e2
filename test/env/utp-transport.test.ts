/**
 * uTP on real UDP sockets over loopback: byte-exact both ways, one UDP port shared by uTP and a
 * live DHT node (KRPC answered on the port uTP connections use), and `--transport utp,tcp`: incoming
 * on both, dials falling back to TCP for a peer without uTP and remembering it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { systemClock } from '../../src/env/clock.js';
import { createPeerTransport } from '../../src/env/peer-transport.js';
import { type PeerSocket, tcpTransport, transportOf } from '../../src/env/transport.js';
import { SharedUdpPorts } from '../../src/env/udp-ports.js';
import { createUtpTransport } from '../../src/env/utp-transport.js';
import { MainlineDht } from '../../src/mainline-dht.js';
import { decodeKrpc, encodeKrpc } from '../../src/protocol/krpc/index.js';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

function collect(socket: PeerSocket, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    socket.on('data', (c: Buffer) => {
      parts.push(c);
      got += c.length;
      if (got >= size) resolve(Buffer.concat(parts));
    });
    socket.on('error', reject);
  });
}

test('uTP over loopback UDP: 8 MB each way at once, byte-exact, reported as uTP', { timeout: 30_000 }, async () => {
  const a = createUtpTransport();
  const b = createUtpTransport();
  const size = 8 * 1024 * 1024;
  const up = randomBytes(size);
  const down = randomBytes(size);
  let serverGot: Promise<Buffer> | undefined;
  let server: PeerSocket | undefined;
  const listener = await b.listen({ host: '127.0.0.1', port: 0 }, (s) => {
    server = s;
    serverGot = collect(s, size);
    s.write(down);
  });
  const client = await a.connect({ host: '127.0.0.1', port: listener.port, timeoutMs: 3000 });
  assert.equal(transportOf(client), 'utp');
  const clientGot = collect(client, size);
  client.write(up);
  const [atClient, atServer] = await Promise.all([clientGot, (async () => { while (!serverGot) await new Promise((r) => setTimeout(r, 5)); return serverGot; })()]);
  assert.equal(sha1(atServer), sha1(up));
  assert.equal(sha1(atClient), sha1(down));
  client.destroy();
  server?.destroy();
  await listener.close();
});

test('one UDP port: a DHT node answers KRPC on the port uTP listens and dials on', { timeout: 20_000 }, async () => {
  const ports = new SharedUdpPorts();
  const utp = createUtpTransport({ ports });
  const accepted: PeerSocket[] = [];
  const listener = await utp.listen({ host: '127.0.0.1', port: 0 }, (s) => {
    accepted.push(s);
    s.pipe(s);
  });
  const dht = new MainlineDht({ port: listener.port, host: '127.0.0.1', clock: systemClock, rng: Math.random, socketFactory: ports.krpcSocket });
  try {
    assert.equal(await dht.opened(), listener.port, 'the DHT took the uTP port number without a second socket');
    // A KRPC ping to that port is answered by the DHT.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const answer = new Promise<Buffer>((resolve) => probe.once('message', (m) => resolve(m)));
    probe.send(encodeKrpc({ y: 'q', t: Buffer.from('aa'), query: { method: 'ping', id: Buffer.alloc(20, 7) } }), listener.port, '127.0.0.1');
    const reply = decodeKrpc(await answer);
    assert.equal(reply.y, 'r');
    probe.close();
    // And a uTP connection on the same port echoes.
    const other = createUtpTransport();
    const s = await other.connect({ host: '127.0.0.1', port: listener.port, timeoutMs: 3000 });
    const echoed = collect(s, 5);
    s.write('hello');
    assert.equal(String(await echoed), 'hello');
    s.destroy();
    assert.equal(await ports.unclassified('127.0.0.1', listener.port), 0);
  } finally {
    for (const s of accepted) s.destroy();
    await dht.close();
    await listener.close();
  }
});

test('--transport utp,tcp: accepts both; a TCP-only peer is reached after the uTP timeout, then over TCP first', { timeout: 20_000 }, async () => {
  const both = createPeerTransport({ order: ['utp', 'tcp'], utpFallbackMs: 400 });
  const seen: string[] = [];
  const accepted: PeerSocket[] = [];
  const listener = await both.listen({ host: '127.0.0.1', port: 0 }, (s) => {
    seen.push(transportOf(s));
    accepted.push(s);
    s.on('error', () => undefined);
  });
  const viaTcp = await tcpTransport.connect({ host: '127.0.0.1', port: listener.port, timeoutMs: 2000 });
  const viaUtp = await createUtpTransport().connect({ host: '127.0.0.1', port: listener.port, timeoutMs: 2000 });
  viaUtp.write('x');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen.sort(), ['tcp', 'utp'], 'incoming on both transports, each reported as such');
  viaTcp.destroy();
  viaUtp.destroy();

  // A peer with TCP only: the first dial waits out the uTP attempt, the next goes straight to TCP.
  const tcpOnly = await tcpTransport.listen({ host: '127.0.0.1', port: 0 }, (s) => s.on('error', () => undefined));
  let t0 = performance.now();
  const first = await both.connect({ host: '127.0.0.1', port: tcpOnly.port, timeoutMs: 3000 });
  const firstMs = performance.now() - t0;
  assert.equal(transportOf(first), 'tcp');
  assert.ok(firstMs >= 350, `the first dial tried uTP first (${firstMs.toFixed(0)} ms)`);
  t0 = performance.now();
  const second = await both.connect({ host: '127.0.0.1', port: tcpOnly.port, timeoutMs: 3000 });
  assert.equal(transportOf(second), 'tcp');
  assert.ok(performance.now() - t0 < 200, 'the second dial went to TCP at once');
  first.destroy();
  second.destroy();
  await tcpOnly.close();
  for (const s of accepted) s.destroy();
  await listener.close();
});
