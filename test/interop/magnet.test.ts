/**
 * Magnet links with real clients, no .torrent on the fetching side: actorrent fetches the info
 * dictionary over ut_metadata (BEP 9) from a libtorrent seeder and from an aria2 seeder, then the
 * data, byte-exact, and `--save-torrent` writes a .torrent with the same infohash; a libtorrent
 * leecher and a WebTorrent 1.9 leecher fetch the metadata from an actorrent seeder by magnet and
 * complete. Peers are dialled directly on 127.0.0.1 (the magnet's `x.pe`, or the client's connect).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatMagnet } from '../../src/protocol/magnet.js';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import { startAria2 } from './clients/aria2.js';
import type { BackgroundProcess } from './clients/background.js';
import { startLibtorrentPeer } from './clients/libtorrent.js';
import { requireWebTorrent, startWebTorrentPeer } from './clients/webtorrent.js';
import { freePort } from './clients/bounded.js';

const SIZE = 14_000_000;
// 16 KiB pieces over several files: an info dictionary of more than one ut_metadata piece.
const PIECE_LENGTH = 16 * 1024;
const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json'], { timeoutMs: 60_000 });

describe('magnet links: metadata over ut_metadata with real clients', { timeout: 120_000 }, () => {
  test('libtorrent seeds, actorrent downloads from a magnet link and saves the .torrent', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: PIECE_LENGTH });
    let seeder: BackgroundProcess | undefined;
    let leecher: CliProcess | undefined;
    try {
      assert.ok(payload.meta.infoBytes.length > 16384, 'the info dictionary takes several ut_metadata pieces');
      seeder = startLibtorrentPeer({ mode: 'seed', torrentFile: payload.torrentFile, savePath: payload.seedDir, lifetimeSeconds: 50 });
      const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
      await seeder.waitForEvent((e) => e.event === 'seeding', 15_000);

      const out = payload.dir('actorrent');
      const saved = path.join(payload.root, 'saved.torrent');
      const magnet = formatMagnet({ infoHash: payload.meta.infoHash, peers: [{ host: '127.0.0.1', port: Number(port) }] });
      leecher = cli(['download', magnet, '-o', out, '--save-torrent', saved]);
      const exit = await leecher.exitWithin(40_000);
      assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}\nlibtorrent: ${seeder.stdout()}`);
      payload.assertSame(out);
      const fetched = leecher.events().find((e) => e.event === 'metadata-fetched');
      assert.equal(fetched?.size, payload.meta.infoBytes.length);
      const written = parseTorrent(readFileSync(saved));
      assert.equal(written.infoHashHex, payload.meta.infoHashHex, 'the saved .torrent has the magnet link\'s infohash');
    } finally {
      leecher?.kill();
      await seeder?.stop();
      payload.cleanup();
    }
  });

  test('aria2 seeds, actorrent downloads from a magnet link', async (t) => {
    if (!requireTool(t, ['aria2c', '--version'], 'aria2')) return;
    const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: PIECE_LENGTH });
    let seeder: BackgroundProcess | undefined;
    let leecher: CliProcess | undefined;
    try {
      const port = await freePort();
      seeder = startAria2({ mode: 'seed', torrentFile: payload.torrentFile, dir: payload.seedDir, listenPort: port, lifetimeSeconds: 50, logFile: path.join(payload.root, 'aria2.log') });
      const out = payload.dir('actorrent');
      const magnet = formatMagnet({ infoHash: payload.meta.infoHash, peers: [{ host: '127.0.0.1', port }] });
      // aria2 listens once its hash check is done; our dials back off and retry until then.
      leecher = cli(['download', magnet, '-o', out]);
      const exit = await leecher.exitWithin(60_000);
      assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}\naria2: ${seeder.stdout()}`);
      payload.assertSame(out);
      assert.ok(leecher.events().some((e) => e.event === 'metadata-fetched'));
    } finally {
      leecher?.kill();
      await seeder?.stop();
      payload.cleanup();
    }
  });

  test('actorrent seeds, libtorrent downloads from a magnet link', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: PIECE_LENGTH });
    let seeder: CliProcess | undefined;
    let leecher: BackgroundProcess | undefined;
    try {
      seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
      const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
      await seeder.waitForEvent((e) => e.event === 'seeding');
      const out = payload.dir('libtorrent');
      const magnet = formatMagnet({ infoHash: payload.meta.infoHash });
      leecher = startLibtorrentPeer({ mode: 'leech', torrentFile: magnet, savePath: out, lifetimeSeconds: 40, connectTo: `127.0.0.1:${String(port)}` });
      const code = await leecher.exitWithin(45_000);
      assert.equal(code, 0, `libtorrent did not complete: ${leecher.stdout()}${leecher.stderr()}\nactorrent: ${seeder.stdout()}${seeder.stderr()}`);
      assert.ok(leecher.events().some((e) => e.event === 'metadata'), 'libtorrent received the metadata');
      payload.assertSame(out);
    } finally {
      await leecher?.stop();
      seeder?.kill();
      payload.cleanup();
    }
  });

  test('actorrent seeds, WebTorrent 1.9 downloads from a magnet link', async (t) => {
    if (!requireWebTorrent(t)) return;
    const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: PIECE_LENGTH });
    let seeder: CliProcess | undefined;
    let leecher: BackgroundProcess | undefined;
    try {
      seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
      const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
      await seeder.waitForEvent((e) => e.event === 'seeding');
      const out = payload.dir('webtorrent');
      const magnet = formatMagnet({ infoHash: payload.meta.infoHash });
      leecher = startWebTorrentPeer({ mode: 'leech', torrentFile: magnet, dir: out, lifetimeSeconds: 40, connectTo: `127.0.0.1:${String(port)}` });
      const code = await leecher.exitWithin(45_000);
      assert.equal(code, 0, `WebTorrent did not complete: ${leecher.stdout()}${leecher.stderr()}\nactorrent: ${seeder.stdout()}${seeder.stderr()}`);
      assert.ok(leecher.events().some((e) => e.event === 'metadata'), 'WebTorrent received the metadata');
      payload.assertSame(out);
    } finally {
      await leecher?.stop();
      seeder?.kill();
      payload.cleanup();
    }
  });
});

