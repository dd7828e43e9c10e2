/**
 * `actorrent download MAGNET` and `actorrent seed MAGNET` against an actorrent seeder on loopback:
 * the metadata is fetched (progress and events on --json), `--save-torrent` writes a .torrent with
 * the magnet's infohash, the magnet's `so` selects files, and `seed` checks data already present
 * before seeding. Bad links and misplaced options get a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatMagnet } from '../../src/protocol/magnet.js';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, runCli, startCli } from '../support/cli.js';

const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json'], { timeoutMs: 60_000 });

test('download MAGNET: metadata then data; --save-torrent; so= fetches only the chosen file', async () => {
  const payload = await makePayload({ multiFile: true, size: 2_000_000, pieceLength: 16384 });
  let seeder: CliProcess | undefined;
  let leecher: CliProcess | undefined;
  try {
    seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
    const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
    await seeder.waitForEvent((e) => e.event === 'seeding');

    // In info order: a/deep/one.bin, b/two.bin, empty.txt, three.bin. Choosing the first, only the
    // second shares a piece with it (created sparse to hold those bytes); three.bin is never touched.
    const chosen = payload.meta.files.findIndex((f) => f.path.join('/') === 'album/a/deep/one.bin');
    assert.equal(chosen, 0);
    const magnet = formatMagnet({ infoHash: payload.meta.infoHash, name: 'album', peers: [{ host: '127.0.0.1', port: Number(port) }], selectOnly: [chosen] });
    const out = payload.dir('leech');
    const saved = path.join(payload.root, 'from-magnet.torrent');
    leecher = cli(['download', magnet, '-o', out, '--save-torrent', saved]);
    const exit = await leecher.exitWithin(30_000);
    assert.equal(exit.status, 0, exit.stderr);
    const types = leecher.events().map((e) => e.event);
    assert.ok(types.indexOf('fetching-metadata') < types.indexOf('metadata-fetched'), types.join(' '));
    assert.ok(types.indexOf('metadata-fetched') < types.indexOf('listening'), 'the download starts once the metadata is in');
    assert.ok(types.includes('torrent-saved'));
    assert.equal(parseTorrent(readFileSync(saved)).infoHashHex, payload.meta.infoHashHex);
    assert.deepEqual(leecher.events().find((e) => e.event === 'listening')?.selected, ['album/a/deep/one.bin']);
    assert.ok(readFileSync(path.join(out, 'album/a/deep/one.bin')).equals(payload.files.find((f) => f.rel === 'album/a/deep/one.bin')!.data));
    assert.equal(existsSync(path.join(out, 'album/three.bin')), false, 'a file not selected by so= is not created');
    // LSD on loopback may also have the seeder dial us (source `incoming`): look at our own dial.
    const connected = leecher.events().find((e) => e.event === 'peer-connected' && e.direction === 'outgoing');
    assert.ok(connected?.source === 'magnet' || connected?.source === 'manual', `peer source ${String(connected?.source)}`);
  } finally {
    leecher?.kill();
    seeder?.kill();
    payload.cleanup();
  }
});

test('seed MAGNET: fetches the metadata, checks the data already there, then seeds', async () => {
  const payload = await makePayload({ multiFile: false, size: 1_000_000, pieceLength: 16384 });
  let first: CliProcess | undefined;
  let second: CliProcess | undefined;
  try {
    first = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
    const { port } = await first.waitForEvent((e) => e.event === 'listening');
    await first.waitForEvent((e) => e.event === 'seeding');
    const magnet = formatMagnet({ infoHash: payload.meta.infoHash, peers: [{ host: '127.0.0.1', port: Number(port) }] });
    second = cli(['seed', magnet, '-o', payload.seedDir]);
    await second.waitForEvent((e) => e.event === 'metadata-fetched', 20_000);
    await second.waitForEvent((e) => e.event === 'seeding', 20_000);
    const checked = second.events().find((e) => e.event === 'checked');
    assert.equal(checked?.have, payload.meta.pieceCount);
  } finally {
    second?.kill();
    first?.kill();
    payload.cleanup();
  }
});

test('a bad magnet link is a one-line error; --save-torrent with a .torrent is a usage error', async () => {
  const payload = await makePayload({ multiFile: false, size: 100_000, pieceLength: 16384 });
  try {
    const bad = runCli(['download', 'magnet:?xt=urn:btih:nothex', '-o', payload.root, '--port', '0']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid magnet link: /);
    const misplaced = runCli(['download', payload.torrentFile, '-o', payload.root, '--port', '0', '--save-torrent', path.join(payload.root, 'x.torrent')]);
    assert.equal(misplaced.status, 2);
    assert.match(misplaced.stderr, /--save-torrent is for magnet links/);
  } finally {
    payload.cleanup();
  }
});
