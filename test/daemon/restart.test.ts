import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { until } from '../support/until.js';
import { cleanups, makeTorrent, rawRpc, startLoopbackTracker, startSeeder, tempDir } from './daemon-fixture.js';

/**
 * A crash: the daemon (the real CLI, a child process) holds a paused torrent, a seeding one and a
 * half-downloaded one; SIGKILL; started again on the same state folder, each comes back as it was,
 * and the half one completes fetching only what it did not have.
 */
async function startDaemonProcess(dataDir: string, downloadDir: string, later: (fn: () => unknown) => void): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', '--data', dataDir, '--download-dir', downloadDir, '--port', '0', '--bind', '127.0.0.1', '--rpc-port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  later(() => child.kill('SIGKILL'));
  const port = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const match = /RPC at http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${err}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/transmission/rpc` };
}

interface Row {
  id: number;
  hashString: string;
  status: number;
  haveValid: number;
  percentDone: number;
}

async function torrents(url: string): Promise<Map<string, Row>> {
  const answer = JSON.parse((await rawRpc(url, JSON.stringify({ method: 'torrent-get', arguments: { fields: ['id', 'hashString', 'status', 'haveValid', 'percentDone'] } }))).text);
  return new Map((answer.arguments.torrents as Row[]).map((t) => [t.hashString, t]));
}

async function call(url: string, method: string, args: Record<string, unknown>): Promise<void> {
  const answer = JSON.parse((await rawRpc(url, JSON.stringify({ method, arguments: args }))).text);
  assert.equal(answer.result, 'success', `${method}: ${answer.result}`);
}

test('restart after SIGKILL: paused stays paused, seeding seeds, the half-downloaded one completes without fetching what it had', { timeout: 150_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const tracker = await startLoopbackTracker();
  later(() => tracker.stop());
  const trackers = [tracker.announceUrl!];
  const paused = await makeTorrent(dir, { name: 'paused.bin', length: 120_000, trackers, seed: 11 });
  const seeding = await makeTorrent(dir, { name: 'seeding.bin', length: 130_000, trackers, seed: 12 });
  const half = await makeTorrent(dir, { name: 'half.bin', length: 1_600_000, trackers, seed: 13 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [paused, seeding, half]);
  later(() => seeder.close());
  const halfSeed = seeder.handles[2]!;
  const dataDir = path.join(dir, 'data');
  const downloadDir = path.join(dir, 'downloads');

  const first = await startDaemonProcess(dataDir, downloadDir, later);
  for (const torrent of [paused, seeding]) await call(first.url, 'torrent-add', { metainfo: torrent.bytes.toString('base64') });
  await until(async () => {
    const rows = await torrents(first.url);
    return rows.get(paused.meta.infoHashHex)?.percentDone === 1 && rows.get(seeding.meta.infoHashHex)?.percentDone === 1;
  }, { what: 'two torrents downloaded', timeoutMs: 30_000, intervalMs: 200 });
  await call(first.url, 'torrent-stop', { ids: [paused.meta.infoHashHex] });
  // The big one at 200 kB/s, stopped on the seeder's side (it chokes us) part way.
  await call(first.url, 'torrent-add', { metainfo: half.bytes.toString('base64'), paused: true });
  await call(first.url, 'torrent-set', { ids: [half.meta.infoHashHex], downloadLimit: 200, downloadLimited: true });
  await call(first.url, 'torrent-start', { ids: [half.meta.infoHashHex] });
  await until(async () => ((await torrents(first.url)).get(half.meta.infoHashHex)?.percentDone ?? 0) >= 0.35, { what: 'a third of the big one', timeoutMs: 30_000, intervalMs: 100 });
  halfSeed.pause();
  // The resume data is saved within 5 s of pieces verifying; wait until nothing moves and it is written.
  await new Promise((resolve) => setTimeout(resolve, 7000));
  const beforeKill = await torrents(first.url);
  const haveAtKill = beforeKill.get(half.meta.infoHashHex)!.haveValid;
  assert.ok(haveAtKill > 0 && haveAtKill < half.meta.length, `half done at the kill: ${haveAtKill}`);
  assert.equal(beforeKill.get(paused.meta.infoHashHex)!.status, 0);
  assert.equal(beforeKill.get(seeding.meta.infoHashHex)!.status, 6);
  const killed = new Promise((resolve) => first.child.on('exit', resolve));
  first.child.kill('SIGKILL');
  await killed;

  const uploadedBefore = seeder.handles.map((h) => h.progress().uploaded);
  const second = await startDaemonProcess(dataDir, downloadDir, later);
  const after = await until(async () => {
    const rows = await torrents(second.url);
    return rows.size === 3 && rows.get(half.meta.infoHashHex)!.status !== 2 && rows;
  }, { what: 'three torrents back, checked', timeoutMs: 20_000, intervalMs: 100 });
  assert.equal(after.get(paused.meta.infoHashHex)!.status, 0, 'paused stays paused');
  assert.equal(after.get(paused.meta.infoHashHex)!.percentDone, 1, 'with its data');
  assert.equal(after.get(seeding.meta.infoHashHex)!.status, 6, 'seeding seeds');
  assert.equal(after.get(half.meta.infoHashHex)!.haveValid, haveAtKill, 'the half one has what it had, from its resume data');
  halfSeed.resume();
  await until(async () => (await torrents(second.url)).get(half.meta.infoHashHex)?.percentDone === 1, { what: 'the half one to complete', timeoutMs: 60_000, intervalMs: 200 }).catch(async (err) => {
    process.stderr.write((await rawRpc(second.url, JSON.stringify({ method: 'torrent-get', arguments: { ids: [half.meta.infoHashHex], fields: ['status', 'percentDone', 'peers', 'trackerStats', 'errorString', 'downloadLimit'] } }))).text + '\n');
    process.stderr.write(JSON.stringify(halfSeed.peers().map((p) => [p.address, p.amChoking, p.peerInterested, p.stage])) + ' ' + halfSeed.state + '\n');
    throw err;
  });
  const fetched = seeder.handles.map((h, i) => h.progress().uploaded - uploadedBefore[i]!);
  assert.equal(fetched[0], 0, 'nothing of the paused torrent fetched');
  assert.equal(fetched[1], 0, 'nothing of the seeding torrent fetched');
  const missing = half.meta.length - haveAtKill;
  // What it lacked, and at most a few blocks sent twice in the endgame.
  assert.ok(fetched[2]! >= missing && fetched[2]! <= missing + 4 * 16 * 1024, `fetched ${fetched[2]} of the ${missing} missing bytes`);
  assert.deepEqual(await readFile(path.join(downloadDir, 'half.bin')), half.contents[0]);
  const stopped = new Promise((resolve) => second.child.on('exit', (code, signal) => resolve(code ?? signal)));
  const session = JSON.parse((await rawRpc(second.url, JSON.stringify({ method: 'session-get', arguments: { fields: ['dht-enabled'] } }))).text) as { arguments: Record<string, unknown> };
  assert.equal(session.arguments['dht-enabled'], true, 'the DHT is on by default (no bootstrap from a loopback --bind)');
  second.child.kill('SIGTERM');
  assert.equal(await stopped, 143);
  // A clean stop keeps the DHT's node id and table for the next run.
  assert.ok((await stat(path.join(dataDir, 'dht.state'))).isFile(), 'dht.state saved in the data folder');
});
