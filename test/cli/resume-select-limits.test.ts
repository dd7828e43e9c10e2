import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import { hasBit } from '../../src/util/bits.js';
import { loadResume } from '../../src/storage/resume.js';
import { type CliEvent, type CliProcess, runCli, startCli } from '../support/cli.js';

const LOOPBACK = ['--port', '0', '--bind', '127.0.0.1', '--json'];

/** A temporary folder with payload files under `seed/<name>` and their torrent. */
function makePayload(name: string, files: { rel: string; size: number }[], pieceLength: string) {
  const root = mkdtempSync(path.join(tmpdir(), 'actorrent-cli-resume-'));
  const seedDir = path.join(root, 'seed');
  const data = files.map((f) => ({ rel: f.rel, data: randomBytes(f.size) }));
  const single = files.length === 1 && files[0]!.rel === name;
  for (const f of data) {
    const target = single ? path.join(seedDir, name) : path.join(seedDir, name, f.rel);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.data);
  }
  const torrent = path.join(root, `${name}.torrent`);
  const created = runCli(['create', path.join(seedDir, name), '-o', torrent, '--piece-length', pieceLength]);
  assert.equal(created.status, 0, created.stderr);
  return { root, seedDir, torrent, data, meta: parseTorrent(readFileSync(torrent)), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function tracked() {
  const running: CliProcess[] = [];
  return {
    start(args: string[], timeoutMs = 45_000) {
      const p = startCli(args, { timeoutMs });
      running.push(p);
      return p;
    },
    killAll: () => running.forEach((p) => p.kill()),
  };
}

const last = (events: CliEvent[], name: string) => events.filter((e) => e.event === name).at(-1);

test('SIGINT half-way saves resume data; the rerun trusts it (no hash check, only the missing bytes); a touched file forces a full check', async () => {
  const payload = makePayload('movie.bin', [{ rel: 'movie.bin', size: 4 * 1024 * 1024 }], '64KiB');
  const procs = tracked();
  try {
    const { meta } = payload;
    const out = path.join(payload.root, 'out');
    const resumeFile = path.join(out, '.actorrent', `${meta.infoHashHex}.resume`);
    // A seeder at 1 MiB/s gives the leecher four seconds to be interrupted in the middle.
    const seeder = procs.start(['seed', payload.torrent, '-o', payload.seedDir, ...LOOPBACK, '--upload-limit', '1MiB']);
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const download = ['download', payload.torrent, '-o', out, '--peer', `127.0.0.1:${port}`, ...LOOPBACK];

    const first = procs.start(download);
    const firstChecked = await first.waitForEvent((e) => e.event === 'checked');
    assert.equal(firstChecked['resumed'], false, 'nothing to resume the first time');
    await first.waitForEvent((e) => e.event === 'progress' && (e['have'] as number) >= meta.pieceCount / 4, 20_000);
    first.child.kill('SIGINT');
    const firstExit = await first.exitWithin(8000);
    assert.equal(firstExit.status, 130, firstExit.stderr);

    const saved = await loadResume(resumeFile, { infoHash: meta.infoHash, pieceCount: meta.pieceCount, fileCount: meta.files.length });
    assert.ok(saved.ok, saved.ok ? '' : saved.reason);
    const savedPieces = Array.from({ length: meta.pieceCount }, (_, i) => i).filter((i) => hasBit(saved.resume.have, i));
    assert.ok(savedPieces.length >= meta.pieceCount / 4 && savedPieces.length < meta.pieceCount, `saved ${savedPieces.length} pieces`);
    // Every piece the resume data vouches for is really on disk.
    const partial = readFileSync(path.join(out, 'movie.bin'));
    const original = payload.data[0]!.data;
    for (const i of savedPieces) {
      assert.ok(partial.subarray(i * meta.pieceLength, (i + 1) * meta.pieceLength).equals(original.subarray(i * meta.pieceLength, (i + 1) * meta.pieceLength)), `piece ${i}`);
    }

    const second = procs.start(download);
    const secondExit = await second.exitWithin(30_000);
    assert.equal(secondExit.status, 0, secondExit.stderr);
    const events = second.events();
    const checked = events.find((e) => e.event === 'checked')!;
    assert.equal(checked['resumed'], true, JSON.stringify(checked));
    assert.equal(checked['have'], savedPieces.length, 'the saved pieces, taken without hashing');
    const complete = last(events, 'complete')!;
    const missingBytes = meta.length - savedPieces.length * meta.pieceLength;
    assert.ok((complete['downloaded'] as number) <= missingBytes + 4 * 16384, `downloaded ${String(complete['downloaded'])} for ${missingBytes} missing`);
    assert.ok(readFileSync(path.join(out, 'movie.bin')).equals(original));

    // Touch the file: its mtime no longer matches, so the data is hashed again (and found complete).
    const file = path.join(out, 'movie.bin');
    const { atime } = statSync(file);
    utimesSync(file, atime, new Date(Date.now() + 60_000));
    const third = runCli(['download', payload.torrent, '-o', out, ...LOOPBACK], { timeoutMs: 30_000 });
    assert.equal(third.status, 0, third.stderr);
    const thirdEvents = third.stdout.trim().split('\n').map((l) => JSON.parse(l) as CliEvent);
    const rechecked = thirdEvents.find((e) => e.event === 'checked')!;
    assert.equal(rechecked['resumed'], false);
    assert.match(String(rechecked['resumeReason']), /changed/);
    assert.equal(rechecked['have'], meta.pieceCount, 'the full check found every piece');
    assert.equal(last(thirdEvents, 'complete')!['downloaded'], 0);

    seeder.child.kill('SIGTERM');
    assert.equal((await seeder.exitWithin(8000)).status, 143);
  } finally {
    procs.killAll();
    payload.cleanup();
  }
});

test('a multi-file download whose one file changed keeps the resume data of the others: only that file is checked, its damage fetched again', async () => {
  const payload = makePayload('album', [
    { rel: 'a.bin', size: 1024 * 1024 },
    { rel: 'b.bin', size: 1024 * 1024 },
    { rel: 'c.bin', size: 512 * 1024 },
  ], '64KiB');
  const procs = tracked();
  try {
    const { meta } = payload;
    const out = path.join(payload.root, 'out');
    const seeder = procs.start(['seed', payload.torrent, '-o', payload.seedDir, ...LOOPBACK]);
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const download = ['download', payload.torrent, '-o', out, '--peer', `127.0.0.1:${port}`, ...LOOPBACK];
    const first = runCli(download, { timeoutMs: 30_000 });
    assert.equal(first.status, 0, first.stderr);

    // b.bin changes: one byte of its third piece is damaged (its mtime moves with the write).
    const b = path.join(out, 'album', 'b.bin');
    const bytes = readFileSync(b);
    bytes[2 * 65536 + 7] = bytes[2 * 65536 + 7]! ^ 0xff;
    writeFileSync(b, bytes);
    utimesSync(b, statSync(b).atime, new Date(Date.now() + 60_000));
    const second = runCli(download, { timeoutMs: 30_000 });
    assert.equal(second.status, 0, second.stderr);
    const events = second.stdout.trim().split('\n').map((l) => JSON.parse(l) as CliEvent);
    const checked = events.find((e) => e.event === 'checked')!;
    assert.equal(checked['resumed'], false);
    // a.bin and c.bin are 24 of the 40 pieces (no piece is shared: the files are multiples of 64 KiB).
    assert.match(String(checked['resumeReason']), /changed since the resume data was saved; 24 pieces in unchanged files kept, the rest checked/);
    assert.equal(checked['have'], meta.pieceCount - 1, 'the check of b.bin found its damaged piece');
    assert.equal(last(events, 'complete')!['downloaded'], 65536, 'only the damaged piece was fetched again');
    for (const f of payload.data) assert.ok(readFileSync(path.join(out, 'album', f.rel)).equals(f.data), f.rel);

    seeder.child.kill('SIGTERM');
    assert.equal((await seeder.exitWithin(8000)).status, 143);
  } finally {
    procs.killAll();
    payload.cleanup();
  }
});

test('--select fetches only the chosen file of a multi-file torrent; untouched files are never created; --tracker adds a tier', async () => {
  // 32 KiB pieces: c.bin shares its first piece with a.bin and its last with d.bin; e.bin shares none.
  const payload = makePayload(
    'share',
    [
      { rel: 'a.bin', size: 100_000 },
      { rel: 'b/c.bin', size: 300_000 },
      { rel: 'd.bin', size: 200_000 },
      { rel: 'e.bin', size: 100_000 },
    ],
    '32KiB',
  );
  const announces: string[] = [];
  const tracker = http.createServer((req, res) => {
    announces.push(new URL(req.url ?? '/', 'http://x').searchParams.get('event') ?? 'none');
    res.end('d8:intervali1800e5:peers0:e');
  });
  await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', resolve));
  const trackerUrl = `http://127.0.0.1:${(tracker.address() as net.AddressInfo).port}/announce`;
  const procs = tracked();
  try {
    const out = path.join(payload.root, 'out');
    const seeder = procs.start(['seed', payload.torrent, '-o', payload.seedDir, ...LOOPBACK]);
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const leecher = procs.start(['download', payload.torrent, '-o', out, '--peer', `127.0.0.1:${port}`, ...LOOPBACK, '--select', 'b/*.bin', '--tracker', trackerUrl]);
    const exit = await leecher.exitWithin(30_000);
    assert.equal(exit.status, 0, exit.stderr);
    const events = leecher.events();
    assert.deepEqual(events.find((e) => e.event === 'listening')!['selected'], ['share/b/c.bin']);
    const wantedPieces = Math.floor((400_000 - 1) / 32768) - Math.floor(100_000 / 32768) + 1;
    const finalProgress = last(events, 'progress')!;
    assert.equal(finalProgress['total'], wantedPieces, 'progress counts the selected pieces');
    assert.equal(finalProgress['have'], wantedPieces);
    assert.ok((last(events, 'complete')!['downloaded'] as number) <= wantedPieces * 32768);

    assert.ok(readFileSync(path.join(out, 'share/b/c.bin')).equals(payload.data[1]!.data), 'the selected file is byte-exact');
    assert.equal(existsSync(path.join(out, 'share/e.bin')), false, 'a file no selected piece touches is not created');
    // Boundary pieces are written whole: a.bin and d.bin exist, holding only their shared piece's bytes.
    const d = readFileSync(path.join(out, 'share/d.bin'));
    const dShared = 13 * 32768 - 400_000;
    assert.ok(d.subarray(0, dShared).equals(payload.data[2]!.data.subarray(0, dShared)));
    assert.ok(d.length <= dShared, `d.bin holds only the boundary piece's ${dShared} bytes, not ${d.length}`);
    assert.ok(announces.includes('started'), `the extra tracker was announced to: ${announces.join(',')}`);

    seeder.child.kill('SIGINT');
    assert.equal((await seeder.exitWithin(8000)).status, 130);
  } finally {
    procs.killAll();
    tracker.close();
    payload.cleanup();
  }
});

test('--download-limit and --upload-limit hold a transfer to the rate, by the leecher\'s own clock', async () => {
  const size = 2 * 1024 * 1024;
  const payload = makePayload('data.bin', [{ rel: 'data.bin', size }], '64KiB');
  const procs = tracked();
  try {
    const seeder = procs.start(['seed', payload.torrent, '-o', payload.seedDir, ...LOOPBACK]);
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const limited = procs.start(['download', payload.torrent, '-o', path.join(payload.root, 'down'), '--peer', `127.0.0.1:${port}`, ...LOOPBACK, '--download-limit', '512KiB']);
    const exit = await limited.exitWithin(30_000);
    assert.equal(exit.status, 0, exit.stderr);
    // 2 MiB at 512 KiB/s: 4 s, less the first tenth of a second's burst.
    const seconds = last(limited.events(), 'complete')!['seconds'] as number;
    assert.ok(seconds >= 3.5, `took ${seconds} s`);
    assert.ok(readFileSync(path.join(payload.root, 'down', 'data.bin')).equals(payload.data[0]!.data));
    seeder.child.kill('SIGINT');
    await seeder.exitWithin(8000);

    const slowSeeder = procs.start(['seed', payload.torrent, '-o', payload.seedDir, ...LOOPBACK, '--upload-limit', '512k']);
    const slowPort = (await slowSeeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const leecher = procs.start(['download', payload.torrent, '-o', path.join(payload.root, 'up'), '--peer', `127.0.0.1:${slowPort}`, ...LOOPBACK]);
    const leecherExit = await leecher.exitWithin(30_000);
    assert.equal(leecherExit.status, 0, leecherExit.stderr);
    const upSeconds = last(leecher.events(), 'complete')!['seconds'] as number;
    assert.ok(upSeconds >= 3.5, `took ${upSeconds} s`);
    slowSeeder.child.kill('SIGINT');
    await slowSeeder.exitWithin(8000);
  } finally {
    procs.killAll();
    payload.cleanup();
  }
});

test('bad option values are usage errors: exit 2, one line', () => {
  const payload = makePayload('share', [{ rel: 'x.bin', size: 1000 }, { rel: 'y.bin', size: 1000 }], '16KiB');
  try {
    const t = payload.torrent;
    const out = ['-o', path.join(payload.root, 'out'), '--port', '0', '--bind', '127.0.0.1'];
    const cases: [string[], RegExp][] = [
      [['download', t, ...out, '--upload-limit', 'fast'], /invalid --upload-limit "fast"/],
      [['seed', t, ...out, '--download-limit', '5 parsecs'], /invalid --download-limit "5 parsecs"/],
      [['download', t, ...out, '--max-peers', '0'], /invalid --max-peers "0"/],
      [['download', t, ...out, '--tracker', 'ftp://example.org/announce'], /invalid --tracker "ftp:/],
      [['download', t, ...out, '--select', '*.iso'], /--select "\*\.iso" matches no file in the torrent \(files: x\.bin, y\.bin\)/],
      [['download', t, ...out, '--frobnicate'], /unknown option '--frobnicate'/],
      [['download', t, ...out, '--quiet', '--verbose'], /cannot be used with/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, { timeoutMs: 20_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}; ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').filter((l) => !/run with --help/.test(l)).length, 1, r.stderr);
      assert.equal(existsSync(path.join(payload.root, 'out', 'share')), false, 'nothing created');
    }
  } finally {
    payload.cleanup();
  }
});

test('--quiet prints nothing on success; --verbose shows peers and, on an error, the stack trace; --max-peers is accepted', async () => {
  const payload = makePayload('small.bin', [{ rel: 'small.bin', size: 300_000 }], '32KiB');
  const procs = tracked();
  try {
    const seeder = procs.start(['seed', payload.torrent, '-o', payload.seedDir, ...LOOPBACK]);
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const args = (dir: string) => ['download', payload.torrent, '-o', path.join(payload.root, dir), '--peer', `127.0.0.1:${port}`, '--port', '0', '--bind', '127.0.0.1', '--max-peers', '4'];

    const quiet = runCli([...args('quiet'), '--quiet'], { timeoutMs: 30_000 });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(quiet.stdout, '');
    assert.equal(quiet.stderr, '');
    assert.ok(readFileSync(path.join(payload.root, 'quiet', 'small.bin')).equals(payload.data[0]!.data));

    const verbose = runCli([...args('verbose'), '--verbose'], { timeoutMs: 30_000 });
    assert.equal(verbose.status, 0, verbose.stderr);
    assert.match(verbose.stdout, /^peer 127\.0\.0\.1:\d+ connected \(outgoing/m);
    assert.match(verbose.stdout, /resume data not used: no resume data at /);

    const failing = runCli(['download', path.join(payload.root, 'nope.torrent'), '--verbose'], { timeoutMs: 20_000 });
    assert.equal(failing.status, 1);
    assert.match(failing.stderr, /^actorrent: .*nope\.torrent: no such file or folder\n/);
    assert.match(failing.stderr, /\n\s+at /, 'a stack trace with --verbose');

    seeder.child.kill('SIGINT');
    await seeder.exitWithin(8000);
  } finally {
    procs.killAll();
    payload.cleanup();
  }
});
