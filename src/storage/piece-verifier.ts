import { type Hasher, inlineHasher } from '../env/hasher.js';
import { pieceHash, type Metainfo } from '../protocol/metainfo/index.js';
import { byteLength, hasBit, setBit } from '../util/bits.js';
import { pieceRange } from './file-layout.js';
import { isStorageError, StorageError, type TorrentStorage } from './storage.js';
import { runReadInWorker, WORKER_READ_BYTES, workerReads } from './worker-read-check.js';

type PieceMeta = Pick<Metainfo, 'pieceLength' | 'pieceCount' | 'length' | 'pieceHashes' | 'files'>;

/** Pieces are read and hashed this many bytes at a time, so a 512 MiB piece needs ~2 MiB, not 512. */
export const VERIFY_CHUNK = 1024 * 1024;

/**
 * True when piece `index` as stored hashes to its SHA-1 in the metainfo. Bytes missing from the
 * storage (StorageError `missing-data`) make it false; other I/O errors are thrown. The next chunk
 * is read while the current one is hashed; two chunk buffers serve the whole piece.
 */
export async function verifyPiece(
  storage: TorrentStorage,
  meta: PieceMeta,
  index: number,
  options: { signal?: AbortSignal; chunkSize?: number; hasher?: Hasher } = {},
): Promise<boolean> {
  const chunk = options.chunkSize ?? VERIFY_CHUNK;
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError(`chunk size ${chunk} is not a positive integer`);
  return hashMatches(storage, meta, index, hashingFor(meta, chunk, options.hasher), options.signal);
}

/** Two chunk buffers, reused for every piece: one is being filled while the other is hashed. */
function scratchBuffers(meta: PieceMeta, chunk: number): [Buffer, Buffer] {
  const size = Math.min(chunk, meta.pieceLength);
  return [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
}

/**
 * Reads the piece chunk by chunk, each into `scratch(size)`, while `hasher` hashes the previous one
 * (one read in flight). Inline, two scratch buffers serve the whole piece; with worker threads each
 * chunk moves to the hashing thread and the hasher recycles the buffers, so memory stays a few
 * chunks per piece.
 */
async function hashMatches(
  storage: TorrentStorage,
  meta: PieceMeta,
  index: number,
  hashing: { hasher: Hasher; scratch: (size: number) => Buffer; chunk: number },
  signal?: AbortSignal,
): Promise<boolean> {
  const { offset, length } = pieceRange(meta, index);
  const { chunk, scratch } = hashing;
  const read = (at: number) => {
    const size = Math.min(chunk, length - at);
    return storage.read(offset + at, size, scratch(size));
  };
  const job = hashing.hasher.start();
  let pending = length > 0 ? read(0) : undefined;
  let last: Buffer | undefined;
  try {
    for (let at = 0; at < length; at += chunk) {
      const data = await pending!;
      pending = at + chunk < length ? read(at + chunk) : undefined;
      signal?.throwIfAborted();
      if (data.length !== Math.min(chunk, length - at)) throw new StorageError('io', `storage returned ${data.length} bytes at ${offset + at}`);
      // The last chunk goes with the request for the digest.
      if (pending) await job.update(data);
      else last = data;
    }
  } catch (err) {
    job.abort();
    pending?.catch(() => undefined); // abandoned read-ahead: its outcome no longer matters
    if (isStorageError(err, 'missing-data')) return false;
    throw err;
  }
  return (await job.digest(last)).equals(pieceHash(meta, index));
}

/** How one reader hashes: on this thread with two alternating buffers, or with `hasher`'s recycled ones. */
function hashingFor(meta: PieceMeta, chunk: number, hasher?: Hasher) {
  if (hasher) return { hasher, scratch: (size: number) => hasher.scratch(size), chunk };
  const buffers = scratchBuffers(meta, chunk);
  let turn = 0;
  return { hasher: inlineHasher, scratch: (size: number) => buffers[turn++ % 2]!.subarray(0, size), chunk: buffers[0].length };
}

export interface CheckOptions {
  /** Called after each hashed piece with pieces checked so far (skipped ones included) and the total. */
  onProgress?: (checked: number, total: number) => void;
  /** Stops the check; it then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Reads in flight at once, each a piece or a run of small pieces (default 2: one reads while the other hashes; with a hasher 8, to keep its threads and the disk busy). */
  concurrency?: number;
  /**
   * Hashes off the main thread (worker threads); default: on it. With a storage of plain files
   * (`eachFileExtent`) and a hasher that can read them (`readPieces`), the threads read the files
   * themselves, a run of pieces (up to WORKER_READ_BYTES) each time, and only digests come back.
   */
  hasher?: Hasher;
  /** Pieces known to be good (resume data from files that did not change): counted as present unread. */
  known?: Uint8Array;
}

/**
 * The initial check of data already in the storage. Returns the pieces present as a bit array in
 * the BitTorrent bitfield layout (piece 0 is the high bit of byte 0; ceil(pieceCount / 8) bytes,
 * spare bits zero), so `new BitField(have)` or a wire `bitfield` message can use it as it is.
 *
 * Pieces with a byte in a missing file, or past the current end of a short file, are marked missing
 * from stat() alone, without reading; the others are read and hashed.
 */
export async function checkExisting(storage: TorrentStorage, meta: PieceMeta, options: CheckOptions = {}): Promise<Uint8Array> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const have = new Uint8Array(byteLength(meta.pieceCount));
  const absent = absentPieces(meta, await storage.stat());
  const toHash: number[] = [];
  for (let i = 0; i < meta.pieceCount; i++) {
    if (absent[i] !== 0) continue;
    if (options.known && hasBit(options.known, i)) setBit(have, i);
    else toHash.push(i);
  }
  let checked = meta.pieceCount - toHash.length;
  if (checked > 0) onProgress?.(checked, meta.pieceCount);

  // With a hasher, small pieces go in runs: one read and one message for up to VERIFY_CHUNK bytes,
  // or up to WORKER_READ_BYTES when its threads read the files themselves.
  const hasher = options.hasher;
  const inWorkers = workerReads(storage, hasher);
  const runBytes = inWorkers ? WORKER_READ_BYTES : VERIFY_CHUNK;
  const runs = hasher ? consecutiveRuns(toHash, Math.max(1, Math.floor(runBytes / meta.pieceLength))) : toHash.map((i) => [i]);
  let next = 0;
  let stop = false;
  const worker = async () => {
    const hashing = hashingFor(meta, VERIFY_CHUNK, hasher);
    while (!stop && next < runs.length) {
      signal?.throwIfAborted();
      const run = runs[next++]!;
      const good = inWorkers
        ? await runReadInWorker(inWorkers, meta, run, signal)
        : run.length > 1
          ? await runMatches(storage, meta, run, hasher!, hashing, signal)
          : [await hashMatches(storage, meta, run[0]!, hashing, signal)];
      run.forEach((index, i) => good[i] && setBit(have, index));
      checked += run.length;
      onProgress?.(checked, meta.pieceCount);
    }
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? (hasher ? 8 : 2)) }, () =>
    worker().catch((err: unknown) => {
      stop = true;
      throw err;
    }),
  );
  // Wait for every worker, so nothing is still reading when this settles.
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return have;
}

/** Runs of consecutive piece indexes, each at most `max` long. */
function consecutiveRuns(indexes: readonly number[], max: number): number[][] {
  const runs: number[][] = [];
  for (const index of indexes) {
    const run = runs.at(-1);
    if (run && run.length < max && run.at(-1)! + 1 === index) run.push(index);
    else runs.push([index]);
  }
  return runs;
}

/** Whether each piece of a run of consecutive pieces hashes right: one read, one message to the hasher. */
async function runMatches(
  storage: TorrentStorage,
  meta: PieceMeta,
  run: readonly number[],
  hasher: Hasher,
  hashing: Parameters<typeof hashMatches>[3],
  signal?: AbortSignal,
): Promise<boolean[]> {
  const ranges = run.map((index) => pieceRange(meta, index));
  const offset = ranges[0]!.offset;
  const length = ranges.reduce((sum, r) => sum + r.length, 0);
  let data: Buffer;
  try {
    data = await storage.read(offset, length, hasher.scratch(length));
  } catch (err) {
    // Some piece of the run lies (partly) past what is on disk: piece by piece tells which.
    if (!isStorageError(err, 'missing-data')) throw err;
    const each: boolean[] = [];
    for (const index of run) each.push(await hashMatches(storage, meta, index, hashing, signal));
    return each;
  }
  signal?.throwIfAborted();
  const digests = await hasher.hashEach(data, ranges.map((r) => r.length));
  return run.map((index, i) => digests[i]!.equals(pieceHash(meta, index)));
}

/** 1 for each piece that cannot be complete given the files' sizes (stat() order = meta.files). */
function absentPieces(meta: PieceMeta, stats: Awaited<ReturnType<TorrentStorage['stat']>>): Uint8Array {
  const absent = new Uint8Array(meta.pieceCount);
  for (const [index, file] of meta.files.entries()) {
    if (file.padding || file.length === 0) continue;
    const size = stats[index]?.size ?? 0;
    if (size >= file.length) continue;
    const first = Math.floor((file.offset + size) / meta.pieceLength);
    const last = Math.floor((file.offset + file.length - 1) / meta.pieceLength);
    absent.fill(1, first, last + 1);
  }
  return absent;
}
