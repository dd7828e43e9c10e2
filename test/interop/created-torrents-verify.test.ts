/**
 * Torrents made by createTorrentFromPath, handed to real clients together with the data they were
 * made from: each client must accept the torrent, agree on the infohash and verify the data as whole.
 * The torrents name no tracker, and every client runs with DHT, LSD/LPD, PEX, UPnP and NAT-PMP off and
 * bound to 127.0.0.1, so nothing is contacted anywhere.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import { createTorrentFromPath } from '../../src/storage/create-torrent.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import { until } from '../support/until.js';
import { aria2ShowFiles, aria2Verify } from './clients/aria2.js';
import { freePort } from './clients/bounded.js';
import { libtorrentCheck } from './clients/libtorrent.js';
import { startTransmission } from './clients/transmission.js';

interface Case {
  label: string;
  torrentFile: string;
  /** The folder that holds the payload: every client's save path / download dir. */
  parent: string;
  infohash: string;
  fileCount: number;
  pieceCount: number;
}

let work = '';
const cases: Case[] = [];

/** SHA-1 of every file under `dir`, to show a client changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    sums.set(path.relative(dir, file), createHash('sha1').update(readFileSync(file)).digest('hex'));
  }
  return sums;
}

async function addCase(label: string, target: string, pieceLength?: number) {
  const { torrent } = await createTorrentFromPath(target, { pieceLength, createdBy: 'actorrent interop test' });
  const torrentFile = path.join(work, 'torrents', `${label}.torrent`);
  writeFileSync(torrentFile, torrent);
  const meta = parseTorrent(torrent);
  cases.push({ label, torrentFile, parent: path.dirname(target), infohash: meta.infoHashHex, fileCount: meta.files.length, pieceCount: meta.pieceCount });
}

describe('torrents created by actorrent are accepted and verified by real clients', { timeout: 90_000 }, () => {
  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'actorrent-interop-create-'));
    mkdirSync(path.join(work, 'torrents'));
    // Each payload in its own parent folder, so the clients see nothing but that payload there.
    mkdirSync(path.join(work, 'single'));
    const single = path.join(work, 'single', 'payload.bin');
    writeFileSync(single, randomBytes(3 * 1024 * 1024 + 12_345));

    const tree = path.join(work, 'multi', 'collection');
    mkdirSync(path.join(tree, 'docs', 'deeper'), { recursive: true });
    mkdirSync(path.join(tree, 'Ωmega ünïcödé'));
    writeFileSync(path.join(tree, 'top.bin'), randomBytes(700_001));
    writeFileSync(path.join(tree, 'empty.dat'), '');
    writeFileSync(path.join(tree, 'docs', 'readme.txt'), randomBytes(5_000));
    writeFileSync(path.join(tree, 'docs', 'deeper', 'big.bin'), randomBytes(1_000_000));
    writeFileSync(path.join(tree, 'docs', 'deeper', 'zero-length'), '');
    writeFileSync(path.join(tree, 'Ωmega ünïcödé', 'ファイル.bin'), randomBytes(400_000));

    await addCase('single', single); // piece length from choosePieceLength
    await addCase('multi', tree, 32 * 1024); // pieces that straddle file boundaries
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('libtorrent: same infohash, every piece verified, seeding', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    for (const c of cases) {
      const r = await libtorrentCheck(c.torrentFile, c.parent);
      assert.equal(r.error, null, `${c.label}: ${r.error}`);
      assert.equal(r.infohash, c.infohash, c.label);
      assert.equal(r.num_files, c.fileCount, c.label);
      assert.equal(r.num_pieces, c.pieceCount, c.label);
      assert.equal(r.checked, true, c.label);
      assert.equal(r.pieces_have, c.pieceCount, c.label);
      assert.equal(r.progress, 1, c.label);
      assert.equal(r.is_seeding, true, c.label);
    }
  });

  test('aria2: same infohash, integrity check passes and it completes without downloading', async (t) => {
    if (!requireTool(t, ['aria2c', '--version'], 'aria2')) return;
    for (const c of cases) {
      const shown = await aria2ShowFiles(c.torrentFile);
      assert.equal(shown.infohash, c.infohash, c.label);
      assert.equal(shown.fileCount, c.fileCount, c.label);

      const before = snapshot(c.parent);
      const r = await aria2Verify(c.torrentFile, c.parent, await freePort());
      assert.equal(r.code, 0, `${c.label}: aria2c exited ${r.code}\n${r.stdout}${r.stderr}`);
      // The result row: gid|OK|avg speed|100|path — complete, and nothing was received.
      assert.match(r.stdout, /^[0-9a-f]+\|OK\s*\|\s*0B\/s\|100\|/m, `${c.label}:\n${r.stdout}`);
      assert.doesNotMatch(r.stdout + r.stderr, /Checksum error/i, c.label);
      assert.deepEqual(snapshot(c.parent), before, `${c.label}: aria2 changed the data`);
    }
  });

  test('Transmission: same infohash, verification reaches 100%', async (t) => {
    if (!requireTool(t, ['transmission-daemon', '--version'], 'transmission-daemon')) return;
    if (!requireTool(t, ['transmission-remote', '--version'], 'transmission-cli')) return;
    const daemon = await startTransmission(path.join(work, 'transmission'), 60);
    try {
      for (const c of cases) {
        await daemon.remote(['-a', c.torrentFile, '-w', c.parent]);
        await daemon.remote(['-t', c.infohash, '-v']);
      }
      for (const c of cases) {
        let info = await daemon.info(c.infohash);
        await until(async () => (info = await daemon.info(c.infohash)).percentDone === '100%' && !/verif/i.test(info.state), {
          what: () => `${c.label}: verification done (${JSON.stringify(info)})`,
          timeoutMs: 20_000,
          intervalMs: 200,
        });
        assert.equal(info.hash, c.infohash, c.label);
        assert.equal(info.percentDone, '100%', `${c.label}: ${JSON.stringify(info)}`);
        // "Have: 3.16 MB (3.16 MB verified)": all that it has, it hash-checked.
        const have = /^(.+) \((.+) verified\)$/.exec(info.have);
        assert.ok(have && have[1] === have[2], `${c.label}: ${info.have}`);
        assert.equal(await daemon.fileCount(c.infohash), c.fileCount, c.label);
      }
    } finally {
      await daemon.stop();
    }
  });

  test('libtorrent notices one flipped byte: that piece is missing, not seeding', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const c = cases.find((x) => x.label === 'single')!;
    const corrupt = path.join(work, 'corrupt');
    mkdirSync(corrupt);
    const copy = path.join(corrupt, 'payload.bin');
    copyFileSync(path.join(c.parent, 'payload.bin'), copy);
    const bytes = readFileSync(copy);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(copy, bytes);

    const r = await libtorrentCheck(c.torrentFile, corrupt);
    assert.equal(r.error, null, `${r.error}`);
    assert.equal(r.checked, true);
    assert.equal(r.infohash, c.infohash);
    assert.equal(r.is_seeding, false);
    assert.ok(r.progress < 1, `progress ${r.progress}`);
    assert.equal(r.pieces_have, c.pieceCount - 1);
  });
});
