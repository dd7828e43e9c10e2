import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { type Encodable, encode } from '../../../src/protocol/bencode/index.js';
import { MetainfoError, parseTorrent, pieceHash, pieceSize } from '../../../src/protocol/metainfo/index.js';

const hashes = (n: number) => Buffer.alloc(20 * n, 0xab);

function multiFile(files: Encodable[], extra: Record<string, Encodable> = {}, name: Encodable = 'root') {
  const total = (files as { length?: number }[]).reduce((s, f) => s + (f.length ?? 0), 0);
  return encode({ info: { files, name, 'piece length': 16384, pieces: hashes(Math.ceil(total / 16384)) }, ...extra });
}

function assertMetainfoError(bytes: Buffer, code: string, message?: RegExp) {
  assert.throws(() => parseTorrent(bytes), (err: unknown) => {
    assert.ok(err instanceof MetainfoError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('single-file torrent: fields, infohash, piece sizes', () => {
  const info = { length: 40000, name: 'file.bin', 'piece length': 16384, pieces: hashes(3), private: 1 };
  const bytes = encode({ announce: 'http://t/announce', comment: 'c', 'created by': 'me', 'creation date': 1234, info });
  const meta = parseTorrent(bytes);
  assert.equal(meta.infoHashHex, createHash('sha1').update(encode(info)).digest('hex'));
  assert.deepEqual(meta.infoBytes, encode(info));
  assert.equal(meta.name, 'file.bin');
  assert.deepEqual(meta.files, [{ path: ['file.bin'], length: 40000, offset: 0, padding: false, executable: false, hidden: false }]);
  assert.equal(meta.private, true);
  assert.equal(meta.pieceCount, 3);
  assert.equal(pieceSize(meta, 0), 16384);
  assert.equal(pieceSize(meta, 2), 40000 - 32768);
  assert.equal(pieceHash(meta, 2).length, 20);
  assert.deepEqual(meta.announce, [['http://t/announce']]);
  assert.equal(meta.creationDate, 1234);
});

test('the infohash is SHA-1 of the original info bytes even when they are not canonical', () => {
  const info = 'd6:lengthi01e4:name1:x12:piece lengthi16384e6:pieces20:' + 'a'.repeat(20) + 'e';
  const bytes = Buffer.from(`d4:info${info}e\n`, 'latin1');
  const meta = parseTorrent(bytes);
  assert.equal(meta.infoHashHex, createHash('sha1').update(Buffer.from(info, 'latin1')).digest('hex'));
  assert.ok(meta.warnings.some((w) => /leading zero/.test(w)));
  assert.ok(meta.warnings.some((w) => /after the top-level value/.test(w)));
});

test('multi-file: offsets, padding files (BEP 47), attributes, symlinks take no space', () => {
  const meta = parseTorrent(
    multiFile([
      { length: 10, path: ['a.txt'], attr: 'x' },
      { length: 16374, path: ['.pad', '16374'], attr: 'p' },
      { length: 5, attr: 'p' },
      { length: 999, path: ['link'], attr: 'l', 'symlink path': ['a.txt'] },
      { length: 20, path: ['dir', 'b.txt'], attr: 'h' },
    ]),
  );
  assert.deepEqual(meta.files.map((f) => [f.path.join('/'), f.offset, f.length, f.padding]), [
    ['root/a.txt', 0, 10, false],
    ['root/.pad/16374', 10, 16374, true],
    ['root/.pad/5', 16384, 5, true],
    ['root/link', 16389, 0, false],
    ['root/dir/b.txt', 16389, 20, false],
  ]);
  assert.equal(meta.files[0]!.executable, true);
  assert.equal(meta.files[4]!.hidden, true);
  assert.deepEqual(meta.files[3]!.symlinkTarget, ['a.txt']);
});

test('hostile paths never leave the download folder', () => {
  const nasty: string[][] = [
    ['..', '..', 'etc', 'passwd'],
    ['/etc/passwd'],
    ['C:\\Windows\\system32'],
    ['a', '.', '', 'b'],
    ['nul\u0000byte'],
    ['CON'],
    ['aux.txt'],
    ['lpt1'],
    ['evil\u202egpj.exe'],
    ['\u0007bell'],
    ['x'.repeat(300) + '.mkv'],
    ['ok'],
  ];
  const meta = parseTorrent(multiFile(nasty.map((p) => ({ length: 1, path: p })), {}, '../../escape'));
  const base = path.resolve('/srv/downloads');
  const got = meta.files.map((f) => f.path);
  for (const p of got) {
    const full = path.resolve(base, ...p);
    assert.ok(full.startsWith(base + path.sep), full);
    for (const c of p) assert.ok(!/[/\\\u0000-\u001f\u202e]/.test(c) && c !== '..' && c !== '.' && c !== '', JSON.stringify(c));
  }
  assert.equal(meta.name, '....escape');
  assert.deepEqual(got[0], ['....escape', 'etc', 'passwd']);
  assert.deepEqual(got[1], ['....escape', 'etcpasswd']);
  assert.deepEqual(got[2], ['....escape', 'C:Windowssystem32']);
  assert.deepEqual(got[3], ['....escape', 'a', 'b']);
  assert.deepEqual(got[4], ['....escape', 'nul_byte']);
  assert.deepEqual(got[5], ['....escape', '_CON']);
  assert.deepEqual(got[6], ['....escape', '_aux.txt']);
  assert.deepEqual(got[7], ['....escape', '_lpt1']);
  assert.deepEqual(got[8], ['....escape', 'evilgpj.exe']);
  assert.deepEqual(got[9], ['....escape', '_bell']);
  assert.equal(Buffer.byteLength(got[10]![1]!), 255);
  assert.ok(got[10]![1]!.endsWith('.mkv'));
  assert.ok(meta.warnings.filter((w) => /sanitised/.test(w)).length >= 10);
});

test('a file where another needs a folder is renamed, not clobbered', () => {
  const meta = parseTorrent(multiFile([{ length: 1, path: ['a'] }, { length: 1, path: ['a', 'b'] }, { length: 1, path: ['a'] }]));
  assert.deepEqual(meta.files.map((f) => f.path.join('/')), ['root/a.1', 'root/a/b', 'root/a.2']);
});

test('invalid UTF-8 in names becomes _', () => {
  const meta = parseTorrent(multiFile([{ length: 1, path: [Buffer.from([0x66, 0xff, 0xfe, 0x6f])] }]));
  assert.deepEqual(meta.files[0]!.path, ['root', 'f__o']);
});

test('BEP 12 tiers replace announce; whitespace and duplicates are cleaned; bad entries ignored', () => {
  const meta = parseTorrent(
    multiFile([{ length: 1, path: ['x'] }], {
      announce: 'http://ignored/announce',
      'announce-list': [[' http://a/announce ', 'udp://b:80'], [], [5 as never, 'http://a/announce'], 'oops' as never, ['http://c/announce']],
      'url-list': 'http://seed/file',
      nodes: [['router.example', 6881], ['bad']],
    }),
  );
  assert.deepEqual(meta.announce, [['http://a/announce', 'udp://b:80'], ['http://c/announce']]);
  assert.deepEqual(meta.urlList, ['http://seed/file']);
  assert.deepEqual(meta.nodes, [{ host: 'router.example', port: 6881 }]);
  assert.ok(meta.warnings.length >= 3);
});

test('every malformed field gets its typed error and a one-line message', () => {
  const good = { length: 5, name: 'x', 'piece length': 16384, pieces: hashes(1) };
  const cases: [Encodable, string, RegExp][] = [
    [[1, 2], 'not-a-torrent', /top level is not a dictionary/],
    [{ announce: 'x' }, 'missing-info', /no info dictionary/],
    [{ info: { ...good, name: undefined } }, 'missing-name', /no name/],
    [{ info: { ...good, name: '' } }, 'missing-name', /no name/],
    [{ info: { ...good, 'piece length': 0 } }, 'missing-piece-length', /piece length/],
    [{ info: { ...good, 'piece length': 2 ** 30 } }, 'missing-piece-length', /larger than/],
    [{ info: { ...good, pieces: undefined } }, 'missing-pieces', /pieces is missing/],
    [{ info: { ...good, pieces: Buffer.alloc(19) } }, 'invalid-pieces', /multiple of 20/],
    [{ info: { ...good, pieces: hashes(2) } }, 'invalid-pieces', /has 2 hashes but the files need 1/],
    [{ info: { ...good, length: -1 } }, 'invalid-length', /negative/],
    [{ info: { ...good, length: 0, pieces: '' } }, 'invalid-length', /no data/],
    [{ info: { ...good, length: 2n ** 60n } }, 'invalid-length', /too large/],
    [{ info: { ...good, length: 2 ** 52, 'piece length': 16384 } }, 'too-many-pieces', /more than/],
    [{ info: { ...good, length: undefined, files: [] } }, 'no-files', /empty/],
    [{ info: { ...good, length: undefined, files: [{ length: 5 }] } }, 'missing-name', /no path/],
    [{ info: { ...good, length: undefined, files: [{ length: 5, path: [1] }] } }, 'invalid-path', /not a string/],
    [{ info: { 'meta version': 2, 'file tree': {}, name: 'x', 'piece length': 16384 } }, 'v2-unsupported', /v2 torrents are not supported yet/],
  ];
  for (const [value, code, message] of cases) assertMetainfoError(encode(value), code, message);
  assertMetainfoError(Buffer.from('d4:infod'), 'invalid-bencoding', /not a valid torrent file: invalid bencode at byte 8/);
  assertMetainfoError(Buffer.from('<html>404</html>'), 'invalid-bencoding', /not a valid torrent file/);
});

test('a __proto__ file name is just a name', () => {
  const meta = parseTorrent(multiFile([{ length: 1, path: ['__proto__'] }], {}, '__proto__'));
  assert.deepEqual(meta.files[0]!.path, ['__proto__', '__proto__']);
  assert.equal(Object.getPrototypeOf({}).polluted, undefined);
});
