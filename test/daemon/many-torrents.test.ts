import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PieceHasher, encodeTorrent } from '../../src/protocol/metainfo/index.js';
import { until } from '../support/until.js';
import { cleanups, rawRpc, startTestDaemon, tempDir } from './daemon-fixture.js';

/**
 * 200 small torrents seeded from local data in one daemon, served correctly by one torrent-get
 * (the timing, memory and idle CPU targets are measured by `npm run bench`, case daemon).
 */
test('200 torrents in one daemon: each checked and seeding, all listed by one torrent-get with the common fields', { timeout: 120_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const daemon = await startTestDaemon(dir);
  later(() => daemon.close());
  const hashes: string[] = [];
  for (let i = 0; i < 200; i++) {
    const content = Buffer.alloc(20_000 + i, i & 0xff);
    content.writeUInt32BE(i, 0);
    const name = `t${String(i).padStart(3, '0')}.bin`;
    await writeFile(path.join(daemon.downloadDir, name), content);
    const hasher = new PieceHasher(16 * 1024);
    hasher.push(content);
    const bytes = encodeTorrent({ name, files: [{ path: [name], length: content.length }], multiFile: false, pieceLength: 16 * 1024, pieces: hasher.finish() });
    const answer = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-add', arguments: { metainfo: bytes.toString('base64') } }))).text);
    assert.equal(answer.result, 'success');
    hashes.push(answer.arguments['torrent-added'].hashString);
  }
  await until(() => daemon.daemon.list().every((e) => e.phase === 'seeding'), { what: 'all 200 seeding', timeoutMs: 60_000, intervalMs: 100 });
  const fields = ['id', 'name', 'status', 'error', 'errorString', 'eta', 'isFinished', 'leftUntilDone', 'percentDone', 'rateDownload', 'rateUpload', 'sizeWhenDone', 'uploadRatio', 'hashString', 'totalSize', 'queuePosition', 'peersConnected'];
  const answer = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-get', arguments: { fields } }))).text);
  const torrents = answer.arguments.torrents as Record<string, unknown>[];
  assert.equal(torrents.length, 200);
  assert.equal(new Set(torrents.map((x) => x['id'])).size, 200, 'unique ids');
  torrents.forEach((x, i) => {
    assert.deepEqual(Object.keys(x).sort(), [...fields].sort());
    assert.equal(x['hashString'], hashes[i]);
    assert.equal(x['name'], `t${String(i).padStart(3, '0')}.bin`);
    assert.equal(x['status'], 6);
    assert.equal(x['percentDone'], 1);
    assert.equal(x['leftUntilDone'], 0);
    assert.equal(x['totalSize'], 20_000 + i);
    assert.equal(x['queuePosition'], i);
    assert.equal(x['error'], 0);
  });
  const table = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-get', arguments: { fields: ['id', 'name'], format: 'table' } }))).text);
  assert.deepEqual(table.arguments.torrents[0], ['id', 'name']);
  assert.equal(table.arguments.torrents.length, 201);
});
