import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ObserverError } from '../../src/session-observer.js';
import { MACHINES } from '../../src/diagrams/machines.js';
import { startTracker } from '../../src/tracker-server.js';
import { startDashboard } from '../../src/ui/dashboard.js';
import { LoopbackServer } from '../../src/ui/loopback-server.js';

type Message = { type: string; charts?: { name: string }[]; actors: { machine: string; label: string; status: string; active: string[] }[]; torrents: unknown[] };

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
  });
}

/** Collects the JSON messages of a WebSocket client. */
function listen(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: Message[] = [];
  const waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Message;
    messages.push(message);
    for (const w of waiters.splice(0)) (w.match(message) ? w.resolve(message) : waiters.push(w));
  });
  return {
    ws,
    messages,
    next: (match: (m: Message) => boolean) =>
      new Promise<Message>((resolve) => {
        const found = messages.find(match);
        if (found) return resolve(found);
        waiters.push({ match, resolve });
      }),
  };
}

test('the dashboard serves its page on 127.0.0.1 only, to loopback names only', { timeout: 20_000 }, async () => {
  const dashboard = await startDashboard({ port: 0, log: () => undefined });
  try {
    assert.equal(dashboard.url, `http://127.0.0.1:${dashboard.port}/`);
    const page = await get(dashboard.port, '/');
    assert.equal(page.status, 200);
    assert.match(page.type ?? '', /text\/html/);
    assert.match(page.body, /<script src="\/app.js"><\/script>/);
    assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1)/, 'the page loads nothing from elsewhere');
    for (const asset of ['/app.js', '/style.css']) {
      const r = await get(dashboard.port, asset);
      assert.equal(r.status, 200, asset);
      assert.doesNotMatch(r.body, /https?:\/\//, `${asset} refers to no URL`);
    }
    assert.equal((await get(dashboard.port, '/nothing-here')).status, 404);
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 is refused.
    assert.equal((await get(dashboard.port, '/', { Host: `evil.example:${dashboard.port}` })).status, 403);
    assert.equal((await get(dashboard.port, '/', { Host: `localhost:${dashboard.port}` })).status, 200);
    // Bound to 127.0.0.1, not to every loopback address (nor to any other interface).
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.2', port: dashboard.port }, () => {
          socket.destroy();
          resolve();
        });
        socket.on('error', reject);
      }),
      /ECONNREFUSED/,
    );
    // A WebSocket from another site's page is refused.
    const foreign = new WebSocket(`ws://127.0.0.1:${dashboard.port}/ws`, { headers: { Origin: 'http://evil.example' } });
    await new Promise<void>((resolve) => foreign.on('error', () => resolve()));
  } finally {
    await dashboard.close();
  }
});

test('the loopback server binds 127.0.0.1 and says clearly when its port is taken', { timeout: 20_000 }, async () => {
  const server = await LoopbackServer.start({ port: 0, pages: {}, socketPath: '/ws' });
  try {
    assert.equal(server.address, '127.0.0.1');
    await assert.rejects(startDashboard({ port: server.port, log: () => undefined }), (err: unknown) => {
      assert.ok(err instanceof ObserverError);
      assert.match(err.message, new RegExp(`cannot serve the dashboard: port ${server.port} is already in use on 127\\.0\\.0\\.1`));
      return true;
    });
  } finally {
    await server.close();
  }
});

test('the WebSocket says hello with every statechart, then pushes the actors\u2019 states (a tracker actor, live)', { timeout: 20_000 }, async () => {
  const lines: string[] = [];
  const dashboard = await startDashboard({ port: 0, tickMs: 50, log: (line) => lines.push(line) });
  assert.deepEqual(lines, [`dashboard: ${dashboard.url}`]);
  const client = listen(`ws://127.0.0.1:${dashboard.port}/ws`);
  let tracker: Awaited<ReturnType<typeof startTracker>> | undefined;
  try {
    const hello = await client.next((m) => m.type === 'hello');
    assert.deepEqual(hello.charts?.map((c) => c.name).sort(), Object.keys(MACHINES).sort());
    assert.deepEqual(hello.actors, []);

    tracker = await startTracker({ host: '127.0.0.1', port: 0, inspect: (event) => dashboard.inspect!('tracker', event) });
    const listening = await client.next((m) => m.type === 'state' && m.actors.some((a) => a.machine === 'tracker-server' && a.active.includes('listening')));
    const actor = listening.actors.find((a) => a.machine === 'tracker-server')!;
    assert.equal(actor.label, 'tracker');
    assert.equal(actor.status, 'active');
    assert.deepEqual(listening.torrents, []);

    await tracker.stop();
    await client.next((m) => m.type === 'state' && m.actors.some((a) => a.machine === 'tracker-server' && a.status !== 'active'));
    // A page opened now gets the whole picture in its hello.
    const late = listen(`ws://127.0.0.1:${dashboard.port}/ws`);
    const lateHello = await late.next((m) => m.type === 'hello');
    assert.equal(lateHello.actors.filter((a) => a.machine === 'tracker-server').length, 1);
    late.ws.close();
  } finally {
    client.ws.close();
    await tracker?.stop();
    await dashboard.close();
  }
});

test('an unclosed dashboard and inspector relay, with browsers still connected, do not keep the process alive', { timeout: 30_000 }, async () => {
  const fixture = fileURLToPath(new URL('./fixtures/unclosed-observers.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fixture], { stdio: ['pipe', 'pipe', 'inherit'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const clients: WebSocket[] = [];
  try {
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    const ports = JSON.parse(line) as { dashboard: number; inspector: number };
    for (const url of [`ws://127.0.0.1:${ports.dashboard}/ws`, `ws://127.0.0.1:${ports.inspector}/events`]) {
      const ws = new WebSocket(url);
      ws.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
      clients.push(ws);
    }
    child.stdin.end('connected\n');
    assert.deepEqual(await exited, { code: 0, signal: null }, 'the process ended on its own (not killed after 20 s)');
  } finally {
    clearTimeout(killer);
    clients.forEach((ws) => ws.terminate());
    child.kill('SIGKILL');
  }
});
