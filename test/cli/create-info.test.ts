import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import { type CliResult, runCli } from '../support/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/libtorrent-test-torrents/', import.meta.url));

const actorrent = (args: string[], cwd?: string) => runCli(args, { cwd });

/** Exit 1 for a failure while running, 2 for a mistake in the invocation (usage). */
function assertCleanFailure(r: CliResult, message: RegExp, status = 1) {
  assert.equal(r.status, status, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trim().split('\n').filter((l) => !/run with --help/.test(l)).length, 1, `one line: ${r.stderr}`);
}

test('create then info --json on a folder, with trackers, private flag and comment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-cli-'));
  try {
    const content = path.join(dir, 'album');
    mkdirSync(path.join(content, 'disc 1'), { recursive: true });
    writeFileSync(path.join(content, 'disc 1', 'track.flac'), randomBytes(50_000));
    writeFileSync(path.join(content, 'cover.jpg'), randomBytes(7_000));
    writeFileSync(path.join(content, 'empty.txt'), '');
    const out = path.join(dir, 'album.torrent');
    const created = actorrent(['create', content, '-o', out, '-a', 'http://127.0.0.1:6969/announce', '-a', 'udp://127.0.0.1:6969', '--piece-length', '16KiB', '--private', '--comment', 'hi there']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /infohash\s+[0-9a-f]{40}/);
    assert.match(created.stdout, /magnet\s+magnet:\?xt=urn:btih:[0-9a-f]{40}/);

    const info = actorrent(['info', out, '--json']);
    assert.equal(info.status, 0, info.stderr);
    const json = JSON.parse(info.stdout);
    const meta = parseTorrent(readFileSync(out));
    assert.equal(json.infoHash, meta.infoHashHex);
    assert.equal(json.name, 'album');
    assert.equal(json.length, 57_000);
    assert.equal(json.pieceLength, 16384);
    assert.equal(json.pieces, 4);
    assert.equal(json.private, true);
    assert.equal(json.comment, 'hi there');
    assert.deepEqual(json.files, [
      { path: 'album/cover.jpg', length: 7000 },
      { path: 'album/disc 1/track.flac', length: 50000 },
      { path: 'album/empty.txt', length: 0 },
    ]);
    assert.deepEqual(json.announce, ['http://127.0.0.1:6969/announce', 'udp://127.0.0.1:6969']);

    const text = actorrent(['info', out]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, new RegExp(`infohash\\s+${meta.infoHashHex}`));
    assert.match(text.stdout, /disc 1\/track.flac/);

    // A second create must not overwrite the torrent silently.
    const again = actorrent(['create', content, '-o', out]);
    assertCleanFailure(again, /already exists \(use --force/);
    assert.equal(actorrent(['create', content, '-o', out, '--force', '--no-date']).status, 0);
    assert.equal(parseTorrent(readFileSync(out)).creationDate, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('create writes <name>.torrent in the current folder by default', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-cli-'));
  try {
    writeFileSync(path.join(dir, 'movie.mkv'), randomBytes(20_000));
    const r = actorrent(['create', 'movie.mkv'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(path.join(dir, 'movie.mkv.torrent')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('info of a magnet link', () => {
  const r = actorrent(['info', 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Example&tr=udp%3A%2F%2F127.0.0.1%3A6969', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.infoHash, 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a');
  assert.equal(json.name, 'Example');
  assert.deepEqual(json.announce, ['udp://127.0.0.1:6969']);
});

test('bad input: one line naming the problem; exit status 1, or 2 for usage errors', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-cli-'));
  try {
    writeFileSync(path.join(dir, 'garbage.torrent'), 'this is not bencode');
    writeFileSync(path.join(dir, 'empty.torrent'), '');
    writeFileSync(path.join(dir, 'data.bin'), randomBytes(1000));
    assertCleanFailure(actorrent(['info', path.join(dir, 'missing.torrent')]), /missing.torrent: no such file or folder/);
    assertCleanFailure(actorrent(['info', path.join(dir, 'garbage.torrent')]), /not a valid torrent file: invalid bencode at byte 0/);
    assertCleanFailure(actorrent(['info', path.join(dir, 'empty.torrent')]), /the file is empty/);
    assertCleanFailure(actorrent(['info', dir]), /is a folder, not a file/);
    assertCleanFailure(actorrent(['info', path.join(fixtures, 'v2_only.torrent')]), /v2 torrents are not supported yet/);
    assertCleanFailure(actorrent(['info', path.join(fixtures, 'many_pieces.torrent')]), /pieces is more than/);
    assertCleanFailure(actorrent(['info', 'magnet:?dn=no-hash']), /magnet/);
    assertCleanFailure(actorrent(['info']), /missing required argument/, 2);
    assertCleanFailure(actorrent(['info', 'x', '--bogus']), /unknown option '--bogus'/, 2);
    assertCleanFailure(actorrent(['frobnicate']), /unknown command/, 2);
    assertCleanFailure(actorrent(['create', path.join(dir, 'data.bin'), '--piece-length', 'lots']), /invalid piece length "lots"/, 2);
    assertCleanFailure(actorrent(['create', path.join(dir, 'data.bin'), '--piece-length', '1000']), /power of two/, 2);
    assertCleanFailure(actorrent(['create', path.join(dir, 'data.bin'), '-a', 'not a url']), /not a URL/, 2);
    assertCleanFailure(actorrent(['create', path.join(dir, 'nothing-here')]), /no such file or folder/);
    assertCleanFailure(actorrent(['create', path.join(dir, 'data.bin'), '-o', path.join(dir, 'no', 'such', 'dir.torrent')]), /no such file or folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--version and --help', () => {
  const v = actorrent(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  const h = actorrent(['create', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--piece-length <bytes>/);
});
