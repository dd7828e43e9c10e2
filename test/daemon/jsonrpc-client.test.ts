import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCResponse } from 'json-rpc-2.0';
import { until } from '../support/until.js';
import { cleanups, makeTorrent, startLoopbackTracker, startSeeder, startTestDaemon, tempDir } from './daemon-fixture.js';

/**
 * The same session as transmission-remote's, through the JSON-RPC 2.0 form of Transmission 4.1
 * (snake_case), spoken by an independently written client library (json-rpc-2.0): request ids,
 * result and error objects are its own.
 */
function transmissionClient(url: string, auth?: string): JSONRPCClient {
  let sessionId = '';
  const client: JSONRPCClient = new JSONRPCClient(async (request) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (auth) headers['Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(url, { method: 'POST', headers: { ...headers, 'X-Transmission-Session-Id': sessionId }, body: JSON.stringify(request) });
      if (res.status === 409) {
        sessionId = res.headers.get('x-transmission-session-id') ?? '';
        await res.text();
        continue;
      }
      if (res.status === 204) return;
      client.receive((await res.json()) as JSONRPCResponse);
      return;
    }
    throw new Error('the session id handshake did not settle');
  });
  return client;
}

test('a JSON-RPC 2.0 client library drives the daemon: add, get, files, peers, stop/start, a limit, verify, remove with data', { timeout: 90_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const tracker = await startLoopbackTracker();
  later(() => tracker.stop());
  const torrent = await makeTorrent(dir, { name: 'jr', files: [60_000, 50_000], trackers: [tracker.announceUrl!], seed: 9 });
  const seeder = await startSeeder(path.join(dir, 'seed'), [torrent]);
  later(() => seeder.close());
  const daemon = await startTestDaemon(dir);
  later(() => daemon.close());
  const rpc = transmissionClient(daemon.url);

  const session = await rpc.request('session_get', { fields: ['version', 'rpc_version_semver', 'download_dir', 'encryption'] });
  assert.deepEqual(Object.keys(session).sort(), ['download_dir', 'encryption', 'rpc_version_semver', 'version']);
  assert.equal(session.rpc_version_semver, '6.0.0');
  assert.equal(session.download_dir, daemon.downloadDir);

  const added = await rpc.request('torrent_add', { metainfo: torrent.bytes.toString('base64'), paused: true, files_unwanted: [1] });
  assert.equal(added.torrent_added.hash_string, torrent.meta.infoHashHex);
  const id = added.torrent_added.id as number;
  const duplicate = await rpc.request('torrent_add', { metainfo: torrent.bytes.toString('base64') });
  assert.equal(duplicate.torrent_duplicate.id, id);

  await rpc.request('torrent_set', { ids: [id], upload_limit: 30, upload_limited: true, labels: ['linux', 'iso'] });
  const entry = daemon.daemon.get(id)!;
  assert.deepEqual([entry.saved.upload_limit, entry.saved.upload_limited, entry.saved.labels], [30, true, ['linux', 'iso']]);
  await rpc.request('torrent_start', { ids: [torrent.meta.infoHashHex] });
  await until(() => entry.complete, { what: 'the wanted file to download', timeoutMs: 30_000, intervalMs: 100 });

  const [got] = (await rpc.request('torrent_get', { ids: [id], fields: ['id', 'name', 'status', 'percent_done', 'files', 'file_stats', 'wanted', 'labels', 'upload_limit', 'no_such_field'] })).torrents;
  assert.equal(got.name, 'jr');
  assert.equal(got.status, 6, 'seeding what was wanted');
  assert.equal(got.percent_done, 1);
  assert.deepEqual(got.wanted, [true, false], 'booleans in the JSON-RPC form');
  assert.deepEqual(got.labels, ['linux', 'iso']);
  assert.equal(got.files[0].bytes_completed, 60_000);
  assert.equal(got.file_stats[1].wanted, false);
  assert.ok(!('no_such_field' in got), 'unknown fields are left out');
  assert.deepEqual(await readFile(path.join(daemon.downloadDir, 'jr', 'file-0.bin')), torrent.contents[0]);

  const [withPeers] = (await rpc.request('torrent_get', { ids: [id], fields: ['peers', 'tracker_stats'] })).torrents;
  assert.ok(withPeers.tracker_stats[0].last_announce_succeeded, 'the tracker answered');
  assert.equal(withPeers.tracker_stats[0].announce, tracker.announceUrl);

  // Wanting the second file: the running torrent fetches it as it runs (the same handle, no restart).
  const handle = entry.liveHandle();
  await rpc.request('torrent_set', { ids: [id], files_wanted: [1] });
  await until(() => entry.complete && entry.byteProgress().sizeWhenDone === 110_000, { what: 'the second file', timeoutMs: 30_000, intervalMs: 100 });
  assert.equal(entry.liveHandle(), handle, 'not restarted');
  assert.deepEqual(await readFile(path.join(daemon.downloadDir, 'jr', 'file-1.bin')), torrent.contents[1]);

  await rpc.request('torrent_stop', { ids: [id] });
  await until(() => !entry.running, { what: 'stopped' });
  const [stopped] = (await rpc.request('torrent_get', { ids: [id], fields: ['status'] })).torrents;
  assert.equal(stopped.status, 0);
  await rpc.request('torrent_verify', { ids: [id] });
  await until(() => entry.phase === 'stopped' && !entry.checkingWhileStopped, { what: 'verified, and stopped again', timeoutMs: 15_000 });
  assert.equal(entry.complete, true, 'the data verified whole');

  const stats = await rpc.request('session_stats', {});
  assert.equal(stats.torrent_count, 1);
  assert.ok(stats.cumulative_stats.downloaded_bytes >= 110_000);

  // Errors come back as JSON-RPC error objects with Transmission's codes.
  await assert.rejects(async () => rpc.request('no_such_method', {}), (err: unknown) => err instanceof JSONRPCErrorException && err.code === -32601);
  await assert.rejects(async () => rpc.request('torrent_get', {}), (err: unknown) => err instanceof JSONRPCErrorException && err.code === -32602);
  await assert.rejects(async () => rpc.request('torrent_add', { metainfo: Buffer.from('not a torrent').toString('base64') }), (err: unknown) => err instanceof JSONRPCErrorException && err.code === 9);

  await rpc.request('torrent_remove', { ids: [id], delete_local_data: true });
  await until(() => daemon.daemon.list().length === 0, { what: 'removed' });
  await assert.rejects(access(path.join(daemon.downloadDir, 'jr')), 'the data and its folder are gone');
});
