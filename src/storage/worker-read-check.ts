import { FileEndedError, type Hasher } from '../env/hasher.js';
import { pieceHash, type Metainfo } from '../protocol/metainfo/index.js';
import { pieceRange } from './file-layout.js';
import { isStorageError, toStorageError, type TorrentStorage } from './storage.js';

type PieceMeta = Pick<Metainfo, 'pieceLength' | 'pieceCount' | 'length' | 'pieceHashes'>;

/**
 * Bytes one worker reads and hashes per job: large, so a message per job costs nothing; small, so
 * the threads finish close together and progress comes often.
 */
export const WORKER_READ_BYTES = 4 * 1024 * 1024;

/** A storage of plain files and a hasher whose threads can read them. */
export interface WorkerReads {
  storage: Required<Pick<TorrentStorage, 'eachFileExtent'>>;
  hasher: Required<Pick<Hasher, 'readPieces'>>;
}

/** The pair, when hashing threads can read this storage's files themselves; else undefined (read on this thread). */
export function workerReads(storage: TorrentStorage, hasher: Hasher | undefined): WorkerReads | undefined {
  const { eachFileExtent } = storage;
  const readPieces = hasher?.readPieces;
  if (!eachFileExtent || !readPieces) return undefined;
  return { storage: { eachFileExtent: eachFileExtent.bind(storage) }, hasher: { readPieces: readPieces.bind(hasher) } };
}

/**
 * Whether each piece of a run of consecutive pieces hashes right, read and hashed by one hashing
 * thread straight from the files. Bytes missing (a missing file, or one cut short since stat())
 * make the run be checked piece by piece, so only the pieces they touch count as missing; other
 * I/O errors are thrown.
 */
export async function runReadInWorker(reads: WorkerReads, meta: PieceMeta, run: readonly number[], signal?: AbortSignal): Promise<boolean[]> {
  try {
    const digests = await digestsOf(reads, run.map((index) => pieceRange(meta, index)), signal);
    return run.map((index, i) => digests[i]?.equals(pieceHash(meta, index)) === true);
  } catch (err) {
    if (!isStorageError(err, 'missing-data') && !(err instanceof FileEndedError)) throw err;
    if (run.length === 1) return [false];
    const each: boolean[] = [];
    for (const index of run) each.push(...(await runReadInWorker(reads, meta, [index], signal)));
    return each;
  }
}

/** The digests of consecutive pieces, read extent by extent (one file at a time) by one thread. */
async function digestsOf(reads: WorkerReads, ranges: readonly { offset: number; length: number }[], signal?: AbortSignal): Promise<Buffer[]> {
  const job = reads.hasher.readPieces(ranges.map((r) => r.length));
  const digests: Buffer[] = [];
  const offset = ranges[0]!.offset;
  const length = ranges.reduce((sum, r) => sum + r.length, 0);
  let complete = false;
  try {
    await reads.storage.eachFileExtent(offset, length, async (extent) => {
      signal?.throwIfAborted();
      const done = await job.add(extent).catch((err: unknown) => {
        throw err instanceof FileEndedError ? err : toStorageError(err, `read bytes ${offset}+${length}`);
      });
      digests.push(...done);
    });
    complete = true;
  } finally {
    if (!complete) job.abort(); // a job left open would keep its thread (and the process) busy
  }
  return digests;
}
