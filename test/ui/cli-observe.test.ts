import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { watchChildOutput } from '../support/child-output.js';
import { type CliProcess, runCli, startCli } from '../support/cli.js';
import { until } from '../support/until.js';

/**
 * `--inspect` and `--ui` on the real CLI: the URLs are printed, events reach a WebSocket client on
 * loopback (standing in for the browser), and neither keeps the process alive once the command is done.
 */

const LOOPBACK = ['--port', '0', '--bind', '127.0.0.1', '--json'];
/** Waits on what the processes printed and what the WebSocket clients received. */
const WAIT = { timeoutMs: 20_000, intervalMs: 50 };

/** The JSON messages a WebSocket client receives. */
function collect(url: string) {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(data.toString()));
  ws.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  return { ws, messages, closed, parsed: () => messages.map((m) => JSON.parse(m) as Record<string, unknown>) };
}

function makeTorrent() {
  const root = mkdtempSync(path.join(tmpdir(), 'actorrent-ui-cli-'));
  const seedDir = path.join(root, 'seed');
  mkdirSync(seedDir);
  writeFileSync(path.join(seedDir, 'watched.bin'), randomBytes(1_200_000));
  const torrent = path.join(root, 'watched.torrent');
  const created = runCli(['create', path.join(seedDir, 'watched.bin'), '-o', torrent, '--piece-length', '32KiB']);
  assert.equal(created.status, 0, created.stderr);
  return { root, seedDir, torrent, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('download --inspect --ui: URLs on stderr, events reach loopback clients, and the process still exits when done', { timeout: 90_000 }, async () => {
  const files = makeTorrent();
  const running: CliProcess[] = [];
  const clients: ReturnType<typeof collect>[] = [];
  try {
    const seeder = startCli(['seed', files.torrent, '-o', files.seedDir, ...LOOPBACK], { timeoutMs: 60_000 });
    running.push(seeder);
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    // 1.2 MB at 300 kB/s: about four seconds to connect while it downloads.
    const leecher = startCli(
      ['download', files.torrent, '-o', path.join(files.root, 'leech'), ...LOOPBACK, '--peer', `127.0.0.1:${port}`, '--download-limit', '300k', '--inspect', '--ui', '0'],
      { timeoutMs: 60_000 },
    );
    running.push(leecher);
    const inspectorUrl = await until(() => /inspector: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(leecher.stderr())?.[1], { what: () => `the inspector URL; stderr: ${leecher.stderr()}`, ...WAIT });
    const dashboardUrl = await until(() => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(leecher.stderr())?.[1], { what: () => `the dashboard URL; stderr: ${leecher.stderr()}`, ...WAIT });

    // The bridge page embeds the hosted inspector and reads our relay (not fetched here: no internet in tests).
    const bridge = await (await fetch(inspectorUrl)).text();
    assert.match(bridge, /<iframe id="inspector" src="https:\/\/stately\.ai\/inspect">/);
    const inspector = collect(`${inspectorUrl.replace('http', 'ws')}events`);
    const dashboard = collect(`${dashboardUrl.replace('http', 'ws')}ws`);
    clients.push(inspector, dashboard);

    await until(
      () => inspector.parsed().find((e) => e['type'] === '@xstate.snapshot' && JSON.stringify(e['snapshot']).includes('"data":"downloading"')),
      { what: () => `a snapshot of the torrent downloading (${inspector.messages.length} events)`, ...WAIT },
    );
    const events = inspector.parsed();
    assert.ok(events.some((e) => e['type'] === '@xstate.actor' && e['name'] === 'torrent'), 'the torrent actor is announced');
    assert.ok(events.some((e) => e['type'] === '@xstate.actor' && e['name'] === 'peer'), 'a peer actor is announced');
    assert.ok(events.every((e) => typeof e['sessionId'] === 'string' && e['_version'] === '0.7.2'));
    assert.ok(!inspector.messages.some((m) => m.includes('"type":"Buffer"')), 'no Buffer is serialised');
    await until(() => dashboard.parsed().find((m) => m['type'] === 'state'), { what: 'a dashboard state message', ...WAIT });
    assert.equal(dashboard.parsed()[0]!['type'], 'hello');

    // Done downloading: exits 0 on its own, although our two clients are still connected.
    const exit = await leecher.exitWithin(40_000);
    assert.equal(exit.status, 0, exit.stderr);
    await Promise.all(clients.map((c) => c.closed));
  } finally {
    clients.forEach((c) => c.ws.terminate());
    running.forEach((p) => p.kill());
    files.cleanup();
  }
});

test('tracker --ui --inspect: the tracker actor on the dashboard; SIGINT still stops it', { timeout: 60_000 }, async () => {
  const tracker = startCli(['tracker', '--port', '0', '--json', '--ui', '0', '--inspect'], { timeoutMs: 40_000 });
  const clients: ReturnType<typeof collect>[] = [];
  try {
    await tracker.waitForEvent((e) => e.event === 'listening');
    const dashboardUrl = await until(() => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(tracker.stderr())?.[1], { what: () => `the dashboard URL; stderr: ${tracker.stderr()}`, ...WAIT });
    assert.match(tracker.stderr(), /inspector: open http:\/\/127\.0\.0\.1:\d+\//);
    const dashboard = collect(`${dashboardUrl.replace('http', 'ws')}ws`);
    clients.push(dashboard);
    const hello = await until(() => dashboard.parsed().find((m) => m['type'] === 'hello'), { what: 'the hello message', ...WAIT });
    const actors = hello['actors'] as { machine: string; label: string; active: string[] }[];
    assert.deepEqual(actors.map((a) => [a.label, a.machine, a.active]), [['tracker', 'tracker-server', ['listening']]]);
    assert.deepEqual(hello['torrents'], []);
    tracker.child.kill('SIGINT');
    const exit = await tracker.exitWithin(15_000);
    assert.equal(exit.status, 130, exit.stderr);
  } finally {
    clients.forEach((c) => c.ws.terminate());
    tracker.kill();
  }
});

test('demo --ui: the whole swarm on one dashboard, kept up until Ctrl-C, then cleaned up', { timeout: 90_000 }, async () => {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('actorrent-demo-')));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'demo', '--size', '1MiB', '--leechers', '2', '--ui', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchChildOutput(child, 'demo', (line) => [line]);
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const clients: ReturnType<typeof collect>[] = [];
  try {
    await output.waitForEvent((line) => line.includes('press Ctrl-C to end'), 45_000);
    assert.match(output.stdout(), /all 2 copies verified/);
    const dashboardUrl = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.stderr())?.[1];
    assert.ok(dashboardUrl, output.stderr());
    const dashboard = collect(`${dashboardUrl.replace('http', 'ws')}ws`);
    clients.push(dashboard);
    const hello = await until(() => dashboard.parsed().find((m) => m['type'] === 'hello'), { what: 'the hello message', ...WAIT });
    const torrents = hello['torrents'] as { label: string; state: string }[];
    assert.deepEqual(torrents.map((t) => [t.label, t.state]).sort(), [['leecher 1', 'seeding'], ['leecher 2', 'seeding'], ['seeder', 'seeding']]);
    const actors = hello['actors'] as { machine: string; label: string }[];
    assert.ok(actors.some((a) => a.label === 'tracker' && a.machine === 'tracker-server'));
    for (const label of ['seeder', 'leecher 1', 'leecher 2']) {
      for (const machine of ['server', 'torrent', 'tracker-client', 'peer']) assert.ok(actors.some((a) => a.label === label && a.machine === machine), `${label} ${machine}`);
    }
    child.kill('SIGINT');
    const { code } = await output.closed;
    assert.equal(code, 130, output.stderr());
    const left = readdirSync(tmpdir()).filter((f) => f.startsWith('actorrent-demo-') && !before.has(f));
    assert.deepEqual(left, [], 'the demo removed its temporary folder');
  } finally {
    clearTimeout(deadline);
    clients.forEach((c) => c.ws.terminate());
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
