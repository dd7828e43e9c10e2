import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import { decodeUdpRequest, encodeUdpResponse } from '../../src/protocol/tracker/index.js';
import { settleWithin } from '../support/child-output.js';
import { type CliEvent, type CliProcess, type CliResult, runCli, startCli } from '../support/cli.js';

// --no-lsd: on one host LSD has the seeder dial the leecher too, and the duplicate rule may keep that
// connection instead of ours; these tests check who connected to whom (LSD has its own tests).
const LOOPBACK = ['--port', '0', '--bind', '127.0.0.1', '--json', '--no-lsd'];

/** A folder payload (nested, with a zero-length file and a short last piece) and its torrent. */
function makeSwarmFolder(trackers: string[] = []) {
  const root = mkdtempSync(path.join(tmpdir(), 'actorrent-cli-swarm-'));
  const seedDir = path.join(root, 'seed');
  const files = [
    { rel: 'share/big.bin', data: randomBytes(900_000) },
    { rel: 'share/nested/small.bin', data: randomBytes(123_457) },
    { rel: 'share/empty.txt', data: Buffer.alloc(0) },
  ];
  for (const f of files) {
    mkdirSync(path.dirname(path.join(seedDir, f.rel)), { recursive: true });
    writeFileSync(path.join(seedDir, f.rel), f.data);
  }
  const torrent = path.join(root, 'share.torrent');
  const created = runCli(['create', path.join(seedDir, 'share'), '-o', torrent, '--piece-length', '32KiB', ...trackers.flatMap((t) => ['-a', t])]);
  assert.equal(created.status, 0, created.stderr);
  return {
    root,
    seedDir,
    torrent,
    files,
    meta: parseTorrent(readFileSync(torrent)),
    assertSame(dir: string) {
      for (const f of files) assert.ok(readFileSync(path.join(dir, f.rel)).equals(f.data), `${f.rel} differs under ${dir}`);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const portOf = (listening: CliEvent) => listening['port'] as number;

/** Exit 1 for a failure while running, 2 for a mistake in the invocation (usage). */
function assertOneLineFailure(r: CliResult, message: RegExp, status = 1) {
  assert.equal(r.status, status, `status ${r.status}; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** An HTTP tracker that gives no peers (they come from --peer) and remembers each announce as `event@port`. */
async function startQuietTracker() {
  const announces: string[] = [];
  const server = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    announces.push(`${query.get('event') ?? 'none'}@${query.get('port')}`);
    res.end('d8:intervali1800e5:peers0:e');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/announce`;
  return { url, announces, close: () => server.close() };
}

test('seed → download → download --seed serves a third peer once the seeder is gone; SIGINT/SIGTERM exit 130/143', async () => {
  const tracker = await startQuietTracker();
  const swarm = makeSwarmFolder([tracker.url]);
  const running: CliProcess[] = [];
  const start = (args: string[]) => {
    const p = startCli(args, { timeoutMs: 45_000 });
    running.push(p);
    return p;
  };
  try {
    const { meta } = swarm;
    const seeder = start(['seed', swarm.torrent, '-o', swarm.seedDir, ...LOOPBACK]);
    const seederPort = portOf(await seeder.waitForEvent((e) => e.event === 'listening'));
    assert.ok(seederPort > 0 && seederPort !== 6881);

    // A plain download: exits 0 once every piece is verified.
    const first = start(['download', swarm.torrent, '--peer', `127.0.0.1:${seederPort}`, ...LOOPBACK, '-o', path.join(swarm.root, 'first')]);
    const firstExit = await first.exitWithin(20_000);
    assert.equal(firstExit.status, 0, firstExit.stderr);
    assert.equal(firstExit.stderr, '');
    const events = first.events(); // throws if any stdout line is not JSON
    assert.equal(events[0]?.event, 'listening');
    const progress = events.filter((e) => e.event === 'progress');
    assert.ok(progress.length > 0, 'progress events');
    for (const p of progress) {
      assert.equal(p['total'], meta.pieceCount);
      for (const field of ['have', 'downloaded', 'uploaded', 'peers', 'downloadRate', 'uploadRate']) assert.equal(typeof p[field], 'number', field);
    }
    assert.equal(progress.at(-1)!['have'], meta.pieceCount);
    // piece-verified is sampled (about one per percent), ending with the last piece.
    const verified = events.filter((e) => e.event === 'piece-verified');
    assert.ok(verified.length >= 1 && verified.length <= Math.min(meta.pieceCount, 101), `${verified.length} piece-verified events`);
    assert.equal(verified.at(-1)!['have'], meta.pieceCount);
    const complete = events.find((e) => e.event === 'complete');
    assert.ok(complete, 'complete event');
    assert.equal(complete['downloaded'], meta.length);
    assert.equal(typeof complete['seconds'], 'number');
    assert.ok(events.some((e) => e.event === 'peer-connected' && e['address'] === `127.0.0.1:${seederPort}`));
    assert.ok(events.some((e) => e.event === 'tracker' && e['announce'] === 'started' && e['ok'] === true && e['url'] === tracker.url), 'tracker result');
    swarm.assertSame(path.join(swarm.root, 'first'));

    // download --seed: stays up after complete.
    const relay = start(['download', swarm.torrent, '--seed', '--peer', `127.0.0.1:${seederPort}`, ...LOOPBACK, '-o', path.join(swarm.root, 'relay')]);
    const relayPort = portOf(await relay.waitForEvent((e) => e.event === 'listening'));
    await relay.waitForEvent((e) => e.event === 'complete');
    swarm.assertSame(path.join(swarm.root, 'relay'));

    // The original seeder stops on SIGINT: exit 130, promptly, with a final `stopped` event.
    const interruptedAt = performance.now();
    seeder.child.kill('SIGINT');
    const seederExit = await seeder.exitWithin(8000);
    assert.equal(seederExit.status, 130, seederExit.stderr);
    assert.ok(performance.now() - interruptedAt < 5000, 'stopped within a few seconds');
    const stopped = seeder.events().find((e) => e.event === 'stopped');
    assert.equal(stopped?.['signal'], 'SIGINT');
    assert.ok((stopped?.['uploaded'] as number) >= 2 * meta.length, 'the seeder served both downloads');
    assert.ok(tracker.announces.includes(`stopped@${seederPort}`), `the seeder announced stopped: ${tracker.announces}`);
    assert.equal(relay.child.exitCode, null, 'download --seed keeps running');

    // A third peer gets everything from the relay alone; plain text output off a TTY.
    const third = start(['download', swarm.torrent, '--peer', `127.0.0.1:${relayPort}`, '--port', '0', '--bind', '127.0.0.1', '-o', path.join(swarm.root, 'third')]);
    const thirdExit = await third.exitWithin(20_000);
    assert.equal(thirdExit.status, 0, thirdExit.stderr);
    swarm.assertSame(path.join(swarm.root, 'third'));
    assert.match(thirdExit.stdout, new RegExp(`100\\.0%  ${meta.pieceCount}/${meta.pieceCount} pieces  down \\S+ \\S+/s  up \\S+ \\S+/s  \\d+ peers?\\n`));
    assert.match(thirdExit.stdout, /^complete: downloaded /m);
    assert.doesNotMatch(thirdExit.stdout, /\x1b|\r/, 'no escape codes off a TTY');

    relay.child.kill('SIGTERM');
    const relayExit = await relay.exitWithin(8000);
    assert.equal(relayExit.status, 143, relayExit.stderr);
    const relayEvents = relay.events();
    assert.ok(relayEvents.some((e) => e.event === 'peer-connected' && e['direction'] === 'incoming'), 'the third peer connected to the relay');
    assert.ok((relayEvents.find((e) => e.event === 'stopped')?.['uploaded'] as number) >= meta.length, 'the relay uploaded the torrent');
  } finally {
    for (const p of running) p.kill();
    await Promise.all(running.map((p) => p.exited));
    tracker.close();
    swarm.cleanup();
  }
});

test('the first SIGINT waits for the tracker to hear `stopped`; a second one exits at once', async () => {
  // A UDP tracker that hands out connection ids but never answers an announce: the stopped announce
  // waits for its timeout (seconds).
  const silent = dgram.createSocket('udp4');
  let heardStopped!: () => void;
  const stoppedHeard = new Promise<void>((resolve) => (heardStopped = resolve));
  silent.on('message', (packet, from) => {
    const request = decodeUdpRequest(packet);
    if (request.action === 'connect') {
      silent.send(encodeUdpResponse({ action: 'connect', transactionId: request.transactionId, connectionId: 0x5eed_0000n }, 'IPv4'), from.port, from.address);
    }
    if (request.action === 'announce' && request.event === 'stopped') heardStopped();
  });
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const swarm = makeSwarmFolder([`udp://127.0.0.1:${silent.address().port}/announce`]);
  const download = startCli(['download', swarm.torrent, ...LOOPBACK, '-o', path.join(swarm.root, 'out')], { timeoutMs: 30_000 });
  try {
    await download.waitForEvent((e) => e.event === 'checked');
    download.child.kill('SIGINT');
    await settleWithin(stoppedHeard, 5000, () => `the tracker heard no stopped announce after SIGINT; stderr: ${download.stderr()}`);
    assert.equal(download.child.exitCode, null, 'still stopping after the first signal');
    const secondAt = performance.now();
    download.child.kill('SIGINT');
    const exit = await download.exitWithin(5000);
    assert.equal(exit.status, 130);
    assert.ok(performance.now() - secondAt < 1500, 'the second signal exits at once');
    // The first stop had not finished (it reports `stopped` when it has): it was waiting for the tracker.
    assert.ok(!download.events().some((e) => e.event === 'stopped'), `the first stop ended by itself: ${download.stdout()}`);
  } finally {
    download.kill();
    await download.exited;
    silent.close();
    swarm.cleanup();
  }
});

test('seed refuses missing or incomplete data with one line saying how many pieces are missing', () => {
  const swarm = makeSwarmFolder();
  try {
    const empty = path.join(swarm.root, 'empty');
    mkdirSync(empty);
    assertOneLineFailure(runCli(['seed', swarm.torrent, '-o', empty, ...LOOPBACK]), new RegExp(`nothing to seed: .*share does not exist \\(all ${swarm.meta.pieceCount} pieces missing\\)`));

    // Cut the small file short: its last 23 457 bytes lie in the last two pieces.
    truncateSync(path.join(swarm.seedDir, 'share/nested/small.bin'), 100_000);
    const r = runCli(['seed', swarm.torrent, '-o', swarm.seedDir, ...LOOPBACK]);
    assertOneLineFailure(r, new RegExp(`cannot seed: 2 of ${swarm.meta.pieceCount} pieces are missing or damaged in .*share$`, 'm'));
    const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as CliEvent);
    assert.ok(events.some((e) => e.event === 'error' && /2 of \d+ pieces/.test(String(e['message']))), '--json reports the error too');
    assert.ok(!events.some((e) => e.event === 'listening'));
  } finally {
    swarm.cleanup();
  }
});

test('bad input: one line naming the problem; exit status 1, or 2 for usage errors', async () => {
  const swarm = makeSwarmFolder();
  const blocker = net.createServer();
  try {
    const t = swarm.torrent;
    assertOneLineFailure(runCli(['download', path.join(swarm.root, 'missing.torrent')]), /missing\.torrent: no such file or folder/);
    assertOneLineFailure(runCli(['seed', path.join(swarm.seedDir, 'share/big.bin')]), /big\.bin: not a valid torrent file/);
    assertOneLineFailure(runCli(['download', t, '--peer', 'nowhere']), /invalid --peer "nowhere": use HOST:PORT/, 2);
    assertOneLineFailure(runCli(['download', t, '--peer', '::1:6881']), /invalid --peer "::1:6881".*\[::1\]:6881/, 2);
    assertOneLineFailure(runCli(['seed', t, '--peer', '127.0.0.1:70000']), /invalid --peer "127\.0\.0\.1:70000"/, 2);
    assertOneLineFailure(runCli(['download', t, '--port', '65536']), /invalid port "65536"/, 2);
    assertOneLineFailure(runCli(['seed', t, '--port', 'http']), /invalid port "http"/, 2);
    assertOneLineFailure(runCli(['download', t, '--bind', 'localhost']), /invalid --bind address "localhost"/, 2);
    assertOneLineFailure(runCli(['download', t, '-o', path.join(t, 'sub'), '--port', '0']), /cannot use the output folder .*share\.torrent.sub: a file is in the way/);

    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as net.AddressInfo).port;
    const r = runCli(['download', t, '--port', String(busy), '--bind', '127.0.0.1', '--json', '-o', path.join(swarm.root, 'out')]);
    assertOneLineFailure(r, new RegExp(`port ${busy} is already in use on 127\\.0\\.0\\.1`));
    assert.deepEqual(JSON.parse(r.stdout), { event: 'error', message: `port ${busy} is already in use on 127.0.0.1` });
  } finally {
    blocker.close();
    swarm.cleanup();
  }
});
