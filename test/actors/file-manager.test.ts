import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createActor, setup } from 'xstate';
import { type FileManagerInput, type FileManagerReport, type PieceToVerify, type PieceVerdict, fileManagerMachine } from '../../src/actors/file-manager.js';
import { SYSTEM_IDS } from '../../src/actors/ids.js';
import { hasBit } from '../../src/util/bits.js';
import { StorageError, type TorrentStorage } from '../../src/storage/storage.js';
import { until } from '../support/until.js';
import { memoryTorrent } from '../support/memory-torrent.js';

/**
 * The FileManager under a stub parent that records what it is told (FILES.CHECKED, FILES.ERROR) and
 * the verdicts it hands on, over MemoryStorage with its faults: corrupt reads, a closed storage,
 * gated latency. Pieces go to its verifier by system id, as the Torrent's engines send them.
 */

const torrent = memoryTorrent({ length: 5 * 32768 - 1000, pieceLength: 32768, seed: 7 });
const { meta } = torrent;

/** A parent that invokes the FileManager as `files` and records every report it sends up and every verdict, in order. */
function startFileManager(input: Omit<FileManagerInput, 'meta' | 'onVerdict'>) {
  const reports: (FileManagerReport | PieceVerdict)[] = [];
  const parent = setup({
    types: { events: {} as FileManagerReport },
    actors: { files: fileManagerMachine },
  }).createMachine({
    invoke: { id: 'files', src: 'files', input: { meta, ...input, onVerdict: (verdict) => void reports.push(verdict) } },
    on: { '*': { actions: ({ event }) => void reports.push(event) } },
  });
  const actor = createActor(parent).start();
  const files = actor.getSnapshot().children.files!;
  const state = () => files.getSnapshot();
  const ready = () => until(() => state().value !== 'checking', { what: 'the check ends', intervalMs: 0 });
  /** What the engines do with a complete piece; dropped when there is no verifier (not ready). */
  const verify = (piece: PieceToVerify) => actor.system.get(SYSTEM_IDS.verifier)?.send(piece);
  cleanups.push(() => actor.stop());
  return { actor, files, reports, state, ready, verify, stop: () => actor.stop() };
}

/** Whatever a test started is stopped after it, even when an assertion failed half-way. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const bits = (have: Uint8Array) => Array.from({ length: meta.pieceCount }, (_, i) => hasBit(have, i));

/** A storage that counts reads and can be made to fail one operation. */
function instrumented(storage: TorrentStorage, fail: Partial<Record<'prepare' | 'stat' | 'read', Error>> = {}) {
  const counts = { reads: 0, prepares: 0 };
  const wrapped: TorrentStorage = {
    prepare: async () => {
      counts.prepares++;
      if (fail.prepare) throw fail.prepare;
      return storage.prepare();
    },
    stat: async () => {
      if (fail.stat) throw fail.stat;
      return storage.stat();
    },
    read: async (offset, length, into) => {
      counts.reads++;
      if (fail.read) throw fail.read;
      return storage.read(offset, length, into);
    },
    write: (offset, data) => storage.write(offset, data),
    flush: () => storage.flush(),
    close: () => storage.close(),
  };
  return { storage: wrapped, counts };
}

test('checking → ready: the pieces already on disk go to the parent as FILES.CHECKED', async () => {
  const storage = await torrent.storageWith([0, 2, 4]);
  const { state, reports, ready, stop } = startFileManager({ storage });
  assert.equal(state().value, 'checking');
  await ready();
  assert.equal(state().value, 'ready');
  assert.equal(reports.length, 1);
  const [checked] = reports;
  assert.equal(checked?.type, 'FILES.CHECKED');
  assert.deepEqual(bits((checked as { have: Uint8Array }).have), [true, false, true, false, true]);
  stop();
});

test('checking an empty storage finds nothing; a complete one finds everything', async () => {
  for (const [storage, expected] of [
    [torrent.emptyStorage(), [false, false, false, false, false]],
    [await torrent.storageWith(), [true, true, true, true, true]],
  ] as const) {
    const { reports, ready, stop } = startFileManager({ storage });
    await ready();
    assert.deepEqual(bits((reports[0] as { have: Uint8Array }).have), expected);
    stop();
  }
});

test('VERIFY: a good piece is verified, a corrupt or missing one fails, each reported once', async () => {
  const storage = await torrent.storageWith([0, 1, 2, 3]);
  const { verify, state, reports, ready, stop } = startFileManager({ storage });
  verify({ type: 'VERIFY', index: 0 }); // still checking: no verifier yet, nothing to verify with
  await ready();
  storage.faults.corruptReads = [{ piece: 2 }];
  for (const index of [0, 2, 4]) verify({ type: 'VERIFY', index });
  await until(() => reports.length === 4, { what: 'three verdicts', intervalMs: 0 });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const verdicts = reports.slice(1).sort((a, b) => (a as { index: number }).index - (b as { index: number }).index);
  assert.deepEqual(verdicts, [
    { type: 'PIECE_VERIFIED', index: 0 },
    { type: 'PIECE_FAILED', index: 2 },
    { type: 'PIECE_FAILED', index: 4 },
  ]);
  assert.equal(state().value, 'ready');
  stop();
});

test('at most `concurrentVerifications` pieces are verified at once; the rest wait in order', async () => {
  for (const concurrency of [undefined, 3]) {
    const gates: (() => void)[] = [];
    const storage = await torrent.storageWith(undefined, { delay: () => new Promise<void>((resolve) => gates.push(resolve)) });
    const { verify, reports, ready, stop } = startFileManager({ storage, concurrentVerifications: concurrency });
    await ready();
    storage.faults.latencyMs = 1; // every read now waits at a gate the test opens
    for (let index = 0; index < meta.pieceCount; index++) verify({ type: 'VERIFY', index });
    const bound = concurrency ?? 2;
    await until(() => gates.length === bound, { what: `${bound} reads in flight`, intervalMs: 0 });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(gates.length, bound, 'no more than the bound');
    let verdicts = 0;
    while (verdicts < meta.pieceCount) {
      const inFlight = gates.length;
      assert.ok(inFlight <= bound, `${inFlight} reads in flight`);
      gates.shift()!();
      await until(() => reports.length - 1 > verdicts, { what: 'the next verdict', intervalMs: 0 });
      verdicts = reports.length - 1;
    }
    assert.deepEqual(
      reports.slice(1).map((r) => r.type),
      Array(meta.pieceCount).fill('PIECE_VERIFIED'),
    );
    assert.deepEqual(
      reports.slice(1).map((r) => (r as { index: number }).index),
      [0, 1, 2, 3, 4],
      'in the order asked',
    );
    stop();
  }
});

test('a disk failure during the check: failed, with the message sent to the parent', async () => {
  const error = new StorageError('io', 'cannot read payload.bin: input/output error');
  const { storage } = instrumented(await torrent.storageWith(), { read: error });
  const { state, reports, ready, stop } = startFileManager({ storage });
  await ready();
  assert.equal(state().value, 'failed');
  assert.equal(state().context.error, 'cannot read payload.bin: input/output error');
  assert.deepEqual(reports, [{ type: 'FILES.ERROR', message: 'cannot read payload.bin: input/output error' }]);
  stop();
});

test('a failure to prepare the files: failed, and nothing is read', async () => {
  const { storage, counts } = instrumented(torrent.emptyStorage(), { prepare: new StorageError('permission-denied', 'cannot create payload.bin: permission denied') });
  const { state, reports, ready, stop } = startFileManager({ storage });
  await ready();
  assert.equal(state().value, 'failed');
  assert.deepEqual(reports, [{ type: 'FILES.ERROR', message: 'cannot create payload.bin: permission denied' }]);
  assert.equal(counts.reads, 0);
  stop();
});

test('a disk failure while verifying: failed, FILES.ERROR, and no verdict for that piece', async () => {
  const storage = await torrent.storageWith();
  const { verify, state, reports, ready, stop } = startFileManager({ storage });
  await ready();
  await storage.close();
  verify({ type: 'VERIFY', index: 1 });
  await until(() => state().value === 'failed', { what: 'the failure', intervalMs: 0 });
  assert.equal(state().context.error, 'read failed: the storage is closed');
  assert.deepEqual(reports.slice(1), [{ type: 'FILES.ERROR', message: 'read failed: the storage is closed' }]);
  verify({ type: 'VERIFY', index: 2 });
  await new Promise((r) => setImmediate(r));
  assert.equal(reports.length, 2, 'a failed file manager verifies nothing more');
  stop();
});

test('trustedHave skips the hash check: the files are prepared, nothing is read, the resume data is reported', async () => {
  const multi = memoryTorrent({ length: 3 * 16384, pieceLength: 16384, files: [20000, 0, 3 * 16384 - 20000] });
  const { storage, counts } = instrumented(multi.emptyStorage());
  const trustedHave = Uint8Array.from([0b1010_0000]);
  const reports: FileManagerReport[] = [];
  const parent = setup({ types: { events: {} as FileManagerReport }, actors: { files: fileManagerMachine } }).createMachine({
    invoke: { id: 'files', src: 'files', input: { meta: multi.meta, storage, trustedHave, onVerdict: () => assert.fail('no piece was given') } },
    on: { '*': { actions: ({ event }) => void reports.push(event) } },
  });
  const actor = createActor(parent).start();
  cleanups.push(() => actor.stop());
  await until(() => reports.length === 1, { what: 'the report', intervalMs: 0 });
  assert.deepEqual(reports, [{ type: 'FILES.CHECKED', have: trustedHave }]);
  assert.equal(counts.prepares, 1);
  assert.equal(counts.reads, 0, 'not one byte hashed');
  const stats = await storage.stat();
  assert.deepEqual(stats[1]?.size, 0, 'the zero-length file was created');
  assert.equal(actor.getSnapshot().children.files!.getSnapshot().value, 'ready');
  actor.stop();
});

test('STORE: a piece assembled in memory is written in one write only when its hash matches', async () => {
  const storage = torrent.emptyStorage();
  const { verify, state, reports, ready, stop } = startFileManager({ storage });
  await ready();
  const good = torrent.piece(1);
  const bad = Buffer.from(torrent.piece(2));
  bad[0]! ^= 0xff;
  const blocks = (b: Buffer) => [b.subarray(0, Math.ceil(b.length / 2)), b.subarray(Math.ceil(b.length / 2))];
  verify({ type: 'STORE', index: 1, blocks: blocks(good) });
  verify({ type: 'STORE', index: 2, blocks: blocks(bad) });
  await until(() => reports.length >= 3, { what: 'both verdicts', intervalMs: 0 });
  // Verdicts come in the order the work finishes; the failed piece has no write to wait for.
  assert.deepEqual(
    reports.slice(1).sort((a, b) => ('index' in a && 'index' in b ? a.index - b.index : 0)),
    [
      { type: 'PIECE_VERIFIED', index: 1 },
      { type: 'PIECE_FAILED', index: 2 },
    ],
  );
  assert.deepEqual(await storage.read(torrent.meta.pieceLength, good.length), good);
  // The bad piece never reached the disk.
  await assert.rejects(storage.read(2 * torrent.meta.pieceLength, 1));
  assert.equal(state().value, 'ready');
  stop();
});
