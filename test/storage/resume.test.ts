import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, utimesSync, writeFileSync, statSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { checkExisting } from '../../src/storage/piece-verifier.js';
import { loadResume, piecesInUnchangedFiles, resumeIsValid, saveResume, type ResumeData } from '../../src/storage/resume.js';
import { awkwardTorrent, range, setBits, tempDir, writeFilesDirectly } from './helpers.js';

async function savedTorrent(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const { meta, data } = awkwardTorrent();
  writeFilesDirectly(dir, meta, data, [6]); // d.bin missing
  const storage = new FsStorage(meta, dir);
  const have = await checkExisting(storage, meta);
  await storage.flush();
  const files = await storage.stat();
  const resumeFile = path.join(dir, 'multi.resume');
  await saveResume(resumeFile, { infoHash: meta.infoHash, have, files });
  return { dir, meta, data, storage, have, files, resumeFile };
}

test('resume data round-trips and is valid while no file changed', async (t) => {
  const { meta, storage, have, files, resumeFile } = await savedTorrent(t);
  const loaded = await loadResume(resumeFile, { infoHash: meta.infoHash, pieceCount: meta.pieceCount, fileCount: meta.files.length });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
  assert.deepEqual(loaded.resume, { infoHash: meta.infoHash, have: Buffer.from(have), files } satisfies ResumeData);
  assert.equal(resumeIsValid(loaded.resume, await storage.stat()), true);
  assert.deepEqual(readdirSync(path.dirname(resumeFile)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  await storage.close();
});

test('resume data is invalid once a file changes mtime or size, or appears or disappears', async (t) => {
  const { dir, meta, storage, resumeFile } = await savedTorrent(t);
  const loaded = await loadResume(resumeFile);
  assert.ok(loaded.ok);
  const saved = loaded.resume;
  const a = path.join(dir, ...meta.files[1]!.path);
  const original = statSync(a);

  utimesSync(a, original.atime, new Date(original.mtimeMs + 2000));
  assert.equal(resumeIsValid(saved, await storage.stat()), false, 'mtime changed');

  // The size alone differs (same mtime): still invalid.
  const sameMtime = saved.files.map((f, i) => (i === 3 && f ? { size: f.size + 1, mtimeMs: f.mtimeMs } : f));
  assert.equal(resumeIsValid(saved, sameMtime), false, 'size changed');
  assert.equal(resumeIsValid(saved, saved.files.map((f) => f && { ...f })), true, 'same sizes and mtimes');

  appendFileSync(path.join(dir, ...meta.files[3]!.path), 'x');
  const now = await storage.stat();
  assert.equal(now[3]!.size, meta.files[3]!.length + 1);
  assert.equal(resumeIsValid(saved, now), false, 'a file grew');

  const fresh = await savedTorrent(t);
  const again = await loadResume(fresh.resumeFile);
  assert.ok(again.ok);
  writeFileSync(path.join(fresh.dir, ...fresh.meta.files[6]!.path), 'now here');
  assert.equal(resumeIsValid(again.resume, await fresh.storage.stat()), false, 'a missing file appeared');
  rmSync(path.join(fresh.dir, ...fresh.meta.files[6]!.path));
  assert.equal(resumeIsValid(again.resume, await fresh.storage.stat()), true, 'and went away again');
  rmSync(path.join(fresh.dir, ...fresh.meta.files[3]!.path));
  assert.equal(resumeIsValid(again.resume, await fresh.storage.stat()), false, 'a file disappeared');
  assert.equal(resumeIsValid(again.resume, (await fresh.storage.stat()).slice(1)), false, 'another file count');
  await storage.close();
  await fresh.storage.close();
});

test('saving again replaces the resume data atomically', async (t) => {
  const { meta, resumeFile, files } = await savedTorrent(t);
  const have = new Uint8Array(Math.ceil(meta.pieceCount / 8)).fill(0xff);
  have[1] = 0xfc;
  await saveResume(resumeFile, { infoHash: meta.infoHash, have, files });
  const loaded = await loadResume(resumeFile);
  assert.ok(loaded.ok);
  assert.deepEqual([...loaded.resume.have], [...have]);
  assert.deepEqual(readdirSync(path.dirname(resumeFile)).filter((f) => f.endsWith('.tmp')), []);
});

test('missing, corrupt or foreign resume files are ignored with a reason, never thrown', async (t) => {
  const { dir, meta, resumeFile } = await savedTorrent(t);
  const good = readFileSync(resumeFile, 'utf8');
  const expect = { infoHash: meta.infoHash, pieceCount: meta.pieceCount, fileCount: meta.files.length };
  const json = JSON.parse(good) as Record<string, unknown>;
  const cases: [string, string | Buffer, RegExp][] = [
    ['truncated', good.slice(0, good.length / 2), /not valid JSON/],
    ['binary junk', Buffer.from([0xff, 0x00, 0xfe, 0x7b]), /not valid JSON/],
    ['empty', '', /not valid JSON/],
    ['not an object', '[1,2,3]', /not a JSON object/],
    ['another format', JSON.stringify({ ...json, format: 'qbittorrent' }), /not actorrent resume data/],
    ['a newer version', JSON.stringify({ ...json, version: 2 }), /version 2/],
    ['bad hash', JSON.stringify({ ...json, infoHash: 'zz' }), /infoHash/],
    ['bad have', JSON.stringify({ ...json, have: '***' }), /have is not base64/],
    ['bad file entry', JSON.stringify({ ...json, files: [[1, 'x']] }), /bad size or mtime/],
    ['negative size', JSON.stringify({ ...json, files: [[-1, 5]] }), /bad size or mtime/],
    ['another torrent', JSON.stringify({ ...json, infoHash: 'ab'.repeat(20) }), /another torrent/],
    ['wrong bit count', JSON.stringify({ ...json, have: Buffer.alloc(5).toString('base64') }), /one bit per piece/],
    ['spare bits set', JSON.stringify({ ...json, have: Buffer.from([0, 0xff]).toString('base64') }), /one bit per piece/],
    ['wrong file count', JSON.stringify({ ...json, files: [] }), /lists 0 files/],
  ];
  for (const [name, content, reason] of cases) {
    const file = path.join(dir, `${name}.resume`);
    writeFileSync(file, content);
    const loaded = await loadResume(file, expect);
    assert.equal(loaded.ok, false, name);
    if (!loaded.ok) assert.match(loaded.reason, reason, name);
  }
  const missing = await loadResume(path.join(dir, 'nope.resume'));
  assert.ok(!missing.ok && /no resume data/.test(missing.reason));
  const folder = await loadResume(dir);
  assert.equal(folder.ok, false, 'a folder is not resume data');
});

test('when some files changed, the claimed pieces lying wholly in unchanged files are kept; a piece touching a changed file is not', () => {
  // 256-byte pieces: a.bin is bytes 0–999 (pieces 0–3, piece 3 ending in padding), b.bin 1024–1323
  // (pieces 4–5), c.bin 1324–1328 (piece 5), d.bin 1329–3328 (pieces 5–13).
  const { meta } = awkwardTorrent();
  const everything = new Uint8Array(Math.ceil(meta.pieceCount / 8)).fill(0xff);
  everything[everything.length - 1] = 0xff << (everything.length * 8 - meta.pieceCount);
  const files = meta.files.map((f, i) => ({ size: f.length, mtimeMs: 1000 + i }));
  const resume: ResumeData = { infoHash: meta.infoHash, have: everything, files };
  const touched = (i: number) => files.map((f, j) => (j === i ? { ...f, mtimeMs: f.mtimeMs + 1 } : f));

  assert.deepEqual(setBits(piecesInUnchangedFiles(resume, files, meta), meta.pieceCount), range(0, meta.pieceCount), 'nothing changed: every claimed piece');
  assert.deepEqual(setBits(piecesInUnchangedFiles(resume, touched(1), meta), meta.pieceCount), range(4, meta.pieceCount), 'a.bin changed');
  assert.deepEqual(setBits(piecesInUnchangedFiles(resume, touched(6), meta), meta.pieceCount), range(0, 5), 'd.bin changed: piece 5, shared with b.bin and c.bin, goes too');
  const grown = files.map((f, j) => (j === 5 ? { ...f, size: f.size + 1 } : f));
  assert.deepEqual(setBits(piecesInUnchangedFiles(resume, grown, meta), meta.pieceCount), [0, 1, 2, 3, 4, ...range(6, meta.pieceCount)], 'c.bin grew: only piece 5');
  const gone = files.map((f, j) => (j === 3 ? undefined : f));
  assert.deepEqual(setBits(piecesInUnchangedFiles(resume, gone, meta), meta.pieceCount), [0, 1, 2, 3, ...range(6, meta.pieceCount)], 'b.bin gone');
  // Only claimed pieces are kept, and a file list of another length keeps nothing.
  const some = { ...resume, have: Uint8Array.from(everything, (b, i) => (i === 0 ? 0b1010_0000 : 0)) };
  assert.deepEqual(setBits(piecesInUnchangedFiles(some, touched(6), meta), meta.pieceCount), [0, 2]);
  assert.deepEqual(setBits(piecesInUnchangedFiles(resume, files.slice(1), meta), meta.pieceCount), []);
});
