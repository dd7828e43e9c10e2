import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerSocket } from '../../src/env/transport.js';
import { seededRng } from '../../src/env/rng.js';
import { runUntilSettled } from '../../src/sim/scheduler.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimNetwork } from '../../src/sim/sim-network.js';

function setup(options: { latencyMs?: number; upload?: number; loss?: number } = {}) {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, rng: seededRng(7), defaultLink: { latencyMs: options.latencyMs ?? 50, loss: options.loss } });
  const a = network.host('10.0.0.1', { upload: options.upload });
  const b = network.host('10.0.0.2');
  return { clock, network, a, b };
}

async function connectPair(env: ReturnType<typeof setup>, port = 6881) {
  let server: PeerSocket | undefined;
  await env.b.listen({ port }, (socket) => (server = socket));
  const client = await runUntilSettled(env.clock, env.a.connect({ host: '10.0.0.2', port, timeoutMs: 5000 }), env.clock.now() + 10_000);
  assert.ok(server);
  return { client, server: server! };
}

test('connect takes a round trip; bytes arrive one latency after they leave, in order', { timeout: 5000 }, async () => {
  const env = setup({ latencyMs: 50 });
  const { client, server } = await connectPair(env);
  assert.equal(env.clock.now(), 100);
  assert.equal(client.remoteAddress, '10.0.0.2');
  assert.equal(server.remoteAddress, '10.0.0.1');
  const got: { at: number; text: string }[] = [];
  server.on('data', (chunk: Buffer) => got.push({ at: env.clock.now(), text: chunk.toString() }));
  client.write('hello ');
  client.write('world');
  await runUntilSettled(env.clock, new Promise((resolve) => env.clock.setTimeout(resolve, 1000)), 5000);
  assert.deepEqual(got.map((g) => g.text).join(''), 'hello world');
  assert.equal(got[0]!.at, 150);
});

test('the uplink paces writes, fills the send buffer (write → false) and drains on the sim clock', { timeout: 5000 }, async () => {
  const env = setup({ latencyMs: 10, upload: 1024 * 1024 });
  const { client, server } = await connectPair(env);
  const start = env.clock.now();
  let received = 0;
  let lastAt = 0;
  server.on('data', (chunk: Buffer) => {
    received += chunk.length;
    lastAt = env.clock.now();
  });
  let accepted = true;
  for (let i = 0; i < 64 && accepted; i++) accepted = client.write(Buffer.alloc(16 * 1024, i));
  assert.equal(accepted, false, 'the 256 KiB send buffer is full after 16 blocks');
  await runUntilSettled(env.clock, new Promise((resolve) => client.once('drain', resolve)), 10_000);
  await runUntilSettled(env.clock, new Promise((resolve) => env.clock.setTimeout(resolve, 1000)), 10_000);
  assert.equal(received, 16 * 16 * 1024);
  // 256 KiB at 1 MiB/s = 250 ms, then 10 ms of latency.
  assert.equal(Math.round(lastAt - start), 260);
});

test('refused after a round trip when nothing listens; times out on the sim clock when the host is offline', { timeout: 5000 }, async () => {
  const env = setup({ latencyMs: 30 });
  await assert.rejects(runUntilSettled(env.clock, env.a.connect({ host: '10.0.0.2', port: 1, timeoutMs: 5000 }), 60_000), /ECONNREFUSED/);
  assert.equal(env.clock.now(), 60);
  env.b.goOffline();
  await assert.rejects(runUntilSettled(env.clock, env.a.connect({ host: '10.0.0.2', port: 1, timeoutMs: 5000 }), 60_000), /timed out after 5000/);
  assert.equal(env.clock.now(), 5060);
  await assert.rejects(runUntilSettled(env.clock, env.a.connect({ host: '10.9.9.9', port: 1, timeoutMs: 700 }), 60_000), /timed out/);
});

test('a closed or reset connection reaches the other end after the bytes before it', { timeout: 5000 }, async () => {
  const env = setup({ latencyMs: 40 });
  const { client, server } = await connectPair(env);
  const got: string[] = [];
  server.on('data', (chunk: Buffer) => got.push(chunk.toString()));
  const closed = new Promise<number>((resolve) => server.once('close', () => resolve(env.clock.now())));
  client.write('last words');
  client.destroy();
  const at = await runUntilSettled(env.clock, closed, 5000);
  assert.deepEqual(got, ['last words']);
  assert.equal(at, 120, "connected at 80 ms, the bytes and then the close arrive 40 ms later");
  // A host going offline resets its connections too.
  const second = await connectPair(env, 6882);
  const reset = new Promise<void>((resolve) => second.client.once('close', () => resolve()));
  env.b.goOffline();
  await runUntilSettled(env.clock, reset, env.clock.now() + 5000);
  // Cutting the link between two hosts resets their connections, both ends.
  env.b.goOnline();
  const third = await connectPair(env, 6883);
  const bothClosed = Promise.all([third.client, third.server].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
  env.network.cut('10.0.0.1', '10.0.0.2');
  await runUntilSettled(env.clock, bothClosed, env.clock.now() + 5000);
});

test('loss delays chunks by retransmissions, deterministically for a seed, and never reorders them', { timeout: 5000 }, async () => {
  const run = async () => {
    const env = setup({ latencyMs: 10, loss: 0.3 });
    const { client, server } = await connectPair(env);
    const arrivals: number[] = [];
    let text = '';
    server.on('data', (chunk: Buffer) => {
      arrivals.push(env.clock.now());
      text += chunk.toString();
    });
    for (let i = 0; i < 20; i++) client.write(`${i},`);
    await runUntilSettled(env.clock, new Promise((resolve) => env.clock.setTimeout(resolve, 10_000)), 20_000);
    return { arrivals, text };
  };
  const first = await run();
  assert.equal(first.text, Array.from({ length: 20 }, (_, i) => `${i},`).join(''));
  assert.ok(first.arrivals.some((t) => t >= 100 + 10 + 200), 'some chunk was retransmitted');
  assert.deepEqual([...first.arrivals].sort((x, y) => x - y), first.arrivals);
  assert.deepEqual((await run()).arrivals, first.arrivals);
});

test('a corked batch arrives as its chunks, small ones joined: a block is the sender\'s own memory, never copied', { timeout: 5000 }, async () => {
  const env = setup({ latencyMs: 10 });
  const { client, server } = await connectPair(env);
  const chunks: Buffer[] = [];
  server.on('data', (chunk: Buffer) => chunks.push(chunk));
  const block = Buffer.alloc(16384, 7);
  client.write(Buffer.from('first'));
  // Written while the first write is under way: these go out together, as one writev.
  client.cork();
  client.write(Buffer.from('ab'));
  client.write(Buffer.from('cd'));
  client.write(block);
  client.write(Buffer.from('ef'));
  client.uncork();
  await runUntilSettled(env.clock, new Promise((resolve) => env.clock.setTimeout(resolve, 1000)), env.clock.now() + 5000);
  assert.deepEqual(chunks.map((c) => (c.length > 100 ? `block ${c.length}` : c.toString())), ['first', 'abcd', 'block 16384', 'ef']);
  assert.equal(chunks[2]!.buffer, block.buffer);
  assert.equal(chunks[2]!.byteOffset, block.byteOffset);
});
