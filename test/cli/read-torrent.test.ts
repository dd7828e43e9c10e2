import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadTorrent, readTorrentFile } from '../../src/cli/read-torrent.js';
import { CliError } from '../../src/cli/errors.js';
import { METAINFO_LIMITS } from '../../src/protocol/metainfo/index.js';
import { encode } from '../../src/protocol/bencode/index.js';

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-read-torrent-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a torrent read from disk owns a buffer of its own size: the parsed info keeps no limit-sized buffer alive', () =>
  withDir(async (dir) => {
    // 600 KiB of piece hashes: more than one read, far less than the 64 MiB limit.
    const info = { length: 30_720 * 262_144, name: Buffer.from('big.bin'), 'piece length': 262_144, pieces: randomBytes(30_720 * 20) };
    const bytes = Buffer.from(encode({ announce: Buffer.from('http://127.0.0.1:1/announce'), info }));
    const file = path.join(dir, 'big.torrent');
    writeFileSync(file, bytes);

    const read = await readTorrentFile(file);
    assert.deepEqual(read, bytes);
    assert.equal(read.buffer.byteLength, bytes.length);
    const meta = await loadTorrent(file);
    assert.ok(meta.infoBytes.buffer.byteLength <= bytes.length, `infoBytes is a view into ${meta.infoBytes.buffer.byteLength} bytes`);
  }));

test('a file past the limit is refused, and an empty one named as such', () =>
  withDir(async (dir) => {
    const huge = path.join(dir, 'huge.torrent');
    writeFileSync(huge, Buffer.alloc(METAINFO_LIMITS.maxTorrentFileBytes + 1));
    await assert.rejects(readTorrentFile(huge), (err) => err instanceof CliError && /not a torrent file/.test(err.message));
    const exact = path.join(dir, 'exact.torrent');
    writeFileSync(exact, Buffer.alloc(METAINFO_LIMITS.maxTorrentFileBytes, 0x31));
    assert.equal((await readTorrentFile(exact)).length, METAINFO_LIMITS.maxTorrentFileBytes);
    const empty = path.join(dir, 'empty.torrent');
    writeFileSync(empty, '');
    await assert.rejects(readTorrentFile(empty), (err) => err instanceof CliError && /the file is empty/.test(err.message));
  }));
