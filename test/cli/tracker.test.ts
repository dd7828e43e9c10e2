import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TrackerCommandOptions, runTracker, trackerSettings } from '../../src/cli/commands/tracker.js';
import { CliError } from '../../src/cli/errors.js';
import { UsageError } from '../../src/cli/units.js';
import { parseAnnounceResponse } from '../../src/protocol/tracker/index.js';
import { announceQuery } from '../tracker/core-helpers.js';
import { hash } from '../tracker/registry-helpers.js';
import { watchChildOutput } from '../support/child-output.js';
import { httpGet, rawUdpClient } from '../tracker/udp-client.js';

const runner = fileURLToPath(new URL('./tracker-runner.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

interface RunningCli {
  child: ChildProcess;
  /** The complete stdout lines so far. */
  readonly lines: string[];
  stderr: () => string;
  /** The first stdout line that matches, within `ms`; rejects if the process exits first. */
  line(match: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `actorrent tracker` with these options, on its own process; SIGKILLed after 30 s in any case. */
function startTrackerCli(options: Partial<TrackerCommandOptions>): RunningCli {
  const child = spawn(process.execPath, ['--import', tsx, runner, JSON.stringify({ host: '127.0.0.1', port: '0', ...options })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const output = watchChildOutput(child, 'actorrent tracker', (line) => [line]);
  const exited = output.closed.then((end) => {
    clearTimeout(killer);
    return end;
  });
  return {
    child,
    get lines() {
      return output.events();
    },
    stderr: output.stderr,
    exited,
    line: (match, ms = 15_000) => output.waitForEvent((line) => match.test(line), ms),
  };
}

test('text mode: prints where it serves, answers announces, and exits 130 on SIGINT with its sockets closed', async () => {
  const cli = startTrackerCli({});
  try {
    const url = (await cli.line(/^ {2}announce: http:/)).split(': ')[1]!;
    assert.match(await cli.line(/^ {2}announce: udp:/), /udp:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(url).port);
    const reply = parseAnnounceResponse((await httpGet(`${url}?${announceQuery({ port: 7001 })}`)).body);
    assert.equal(reply.type, 'success');
    cli.child.kill('SIGINT');
    assert.deepEqual(await cli.exited, { code: 130, signal: null });
    assert.match(cli.lines.join('\n'), /tracker stopped \(SIGINT\): 1 torrents, 0 seeders, 1 leechers; 1 announces served/);
    // Both sockets are closed: the port can be bound again for TCP and UDP.
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', resolve));
    tcp.close();
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(port, '127.0.0.1', resolve));
    udp.close();
  } finally {
    cli.child.kill('SIGKILL');
  }
});

test('--json --udp-only --interval 2: JSON lines, stats after each sweep, no HTTP, exit 143 on SIGTERM', async () => {
  const cli = startTrackerCli({ json: true, udpOnly: true, interval: '2' });
  try {
    const listening = JSON.parse(await cli.line(/"event":"listening"/)) as Record<string, unknown>;
    assert.equal(listening['http'], null);
    assert.equal(listening['interval'], 2);
    const port = listening['port'] as number;
    assert.equal(listening['udp'], `udp://127.0.0.1:${port}`);
    await assert.rejects(httpGet(`http://127.0.0.1:${port}/stats`), /ECONNREFUSED/);
    const client = await rawUdpClient('127.0.0.1', port);
    try {
      assert.equal((await client.announce(await client.connect())).action, 'announce');
    } finally {
      await client.close();
    }
    const stats = JSON.parse(await cli.line(/"event":"stats"/, 5000)) as Record<string, unknown>;
    assert.equal(typeof stats['peers'], 'number');
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 143, signal: null });
    const stopped = JSON.parse(cli.lines.at(-1)!) as { event: string; signal: string; requests: { udp: { announce: number } } };
    assert.deepEqual([stopped.event, stopped.signal, stopped.requests.udp.announce], ['stopped', 'SIGTERM', 1]);
    for (const line of cli.lines) JSON.parse(line);
  } finally {
    cli.child.kill('SIGKILL');
  }
});

test('a busy port ends the command with one clear line and status 1', async () => {
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  const port = blocker.address().port;
  try {
    await assert.rejects(runTracker({ host: '127.0.0.1', port: String(port) }), (err: unknown) => {
      return err instanceof CliError && err.message === `port ${port} is already in use on 127.0.0.1 (UDP)`;
    });
    const cli = startTrackerCli({ port: String(port) });
    assert.deepEqual(await cli.exited, { code: 1, signal: null });
    assert.equal(cli.stderr(), `actorrent: port ${port} is already in use on 127.0.0.1 (UDP)\n`);
  } finally {
    blocker.close();
  }
});

test('options: mistakes are usage errors; --allow reads an opentracker-style list', async () => {
  const base = { host: '127.0.0.1', port: '6969' };
  await assert.rejects(trackerSettings({ ...base, httpOnly: true, udpOnly: true }), UsageError);
  await assert.rejects(trackerSettings({ ...base, host: 'localhost' }), /invalid --host/);
  await assert.rejects(trackerSettings({ ...base, port: '70000' }), /invalid port/);
  await assert.rejects(trackerSettings({ ...base, interval: '0' }), /invalid --interval/);
  await assert.rejects(trackerSettings({ ...base, interval: '30m' }), UsageError);
  const defaults = await trackerSettings(base);
  assert.deepEqual(defaults, { host: '127.0.0.1', port: 6969, http: true, udp: true, json: false, config: { trustIp: false } });
  assert.deepEqual((await trackerSettings({ ...base, host: '[::1]', httpOnly: true, trustIp: true })).host, '::1');

  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-tracker-cli-'));
  try {
    const good = path.join(dir, 'allow.txt');
    writeFileSync(good, `# allowed\n${hash(1).toString('hex').toUpperCase()}\n`);
    const settings = await trackerSettings({ ...base, allow: good });
    assert.deepEqual([...settings.config.allowList!], [hash(1).toString('hex')]);
    const bad = path.join(dir, 'bad.txt');
    writeFileSync(bad, `${hash(1).toString('hex')}\nnot a hash\n`);
    await assert.rejects(trackerSettings({ ...base, allow: bad }), (err: unknown) => err instanceof CliError && /^--allow .*bad\.txt: line 2: /.test(err.message));
    await assert.rejects(trackerSettings({ ...base, allow: path.join(dir, 'missing.txt') }), { code: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
