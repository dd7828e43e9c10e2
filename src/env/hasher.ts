import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileExtent } from './file-extent.js';
import { HASH_WORKER_PROGRAM } from './hash-worker-program.js';

/**
 * SHA-1 for piece verification, injected like the clock: `inlineHasher` hashes on the calling
 * thread (deterministic: the simulator and replay use it); `workerHasher` hashes in worker threads,
 * so a check or a download uses every core while the main thread keeps serving peers.
 *
 * Chunks handed to a job may be transferred to the worker: the caller must not use them afterwards
 * (a scratch() buffer, or one that is its whole ArrayBuffer, moves without a copy; any other is
 * copied first). Used for checks and for verifying pieces read back from disk; a piece assembled in
 * memory is hashed inline (see file-manager.ts).
 */
export interface Hasher {
  start(): HashJob;
  /** The SHA-1 of each of the consecutive slices of `data` with these lengths (small pieces in one message). */
  hashEach(data: Buffer, lengths: readonly number[]): Promise<Buffer[]>;
  /**
   * A buffer of `length` bytes to read a chunk into before update(): the worker hasher recycles
   * them (a fresh buffer per chunk costs a page fault per 4 KiB), so they move without a copy.
   */
  scratch(length: number): Buffer;
  /**
   * The SHA-1 of piece `index` held in memory (its blocks in order) when it is known without hashing,
   * else undefined and the file manager hashes it. Optional: only the simulator's hasher, which
   * knows its payload, has it.
   */
  knownDigest?(index: number, chunks: readonly Buffer[]): Buffer | undefined;
  /**
   * A job over consecutive pieces of these lengths that a worker thread reads from files itself and
   * hashes where it read them: no bytes cross threads and the calling thread does nothing per chunk
   * (the check of data on disk). Optional: only the worker hasher has it.
   */
  readPieces?(lengths: readonly number[]): PieceReadJob;
  close(): Promise<void>;
}

export interface PieceReadJob {
  /**
   * Reads and hashes the next extent of the pieces' bytes, in order. Resolves, once the worker no
   * longer uses the descriptor, with the digests of the pieces this extent completed; rejects with
   * FileEndedError when the file ends before the extent does, or with the read's error (its `code`
   * kept). After a rejection the job is over.
   */
  add(extent: FileExtent): Promise<Buffer[]>;
  /** Gives the job up. With an add() in flight the worker finishes that extent first. */
  abort(): void;
}

/** A file ended before the bytes a read job was given (it was cut short since it was looked at). */
export class FileEndedError extends Error {
  constructor() {
    super('the file ends before the bytes to read');
    this.name = 'FileEndedError';
  }
}

export interface HashJob {
  /** Adds a chunk; resolves when the job may take more (a bounded number of chunks in flight). */
  update(chunk: Buffer): Promise<void>;
  /** The SHA-1 of everything, with `last` added first (one message instead of two for the last chunk). */
  digest(last?: Buffer): Promise<Buffer>;
  /** Gives the job up (its chunks are dropped). */
  abort(): void;
}

export const inlineHasher: Hasher = {
  start() {
    const hash = createHash('sha1');
    return {
      update: async (chunk) => void hash.update(chunk),
      digest: async (last) => (last ? hash.update(last) : hash).digest(),
      abort: () => undefined,
    };
  },
  hashEach: async (data, lengths) => sliceDigests(data, lengths),
  scratch: (length) => Buffer.allocUnsafe(length),
  close: async () => undefined,
};

function sliceDigests(data: Uint8Array, lengths: readonly number[]): Buffer[] {
  let at = 0;
  return lengths.map((length) => createHash('sha1').update(data.subarray(at, (at += length))).digest());
}

/** Chunks of one job posted and not yet hashed, beyond which update() waits. */
const MAX_CHUNKS_IN_FLIGHT = 2;
/** Scratch buffers kept for reuse, and the largest size recycled. */
const MAX_FREE_BUFFERS = 32;
const SCRATCH_SIZE = 1024 * 1024;

interface PoolWorker {
  worker: Worker;
  jobs: number;
}

interface Pending {
  worker: PoolWorker;
  inFlight: number;
  drained?: () => void;
  done?: { resolve: (digest: Buffer) => void; reject: (err: Error) => void };
  /** hashEach: the digests of the slices. */
  each?: { resolve: (digests: Buffer[]) => void; reject: (err: Error) => void };
  /** readPieces: the extent being read. */
  read?: { resolve: (digests: Buffer[]) => void; reject: (err: Error) => void };
  /** readPieces: given up; finished when the extent in flight is answered. */
  aborted?: boolean;
}

interface WorkerReply {
  job: number;
  ack?: boolean;
  digest?: Uint8Array;
  digests?: Uint8Array[];
  chunk?: Uint8Array;
  /** read: the job has every digest. */
  finished?: boolean;
  /** read: the file ended first. */
  ended?: boolean;
  /** read: the read failed (message and errno code). */
  error?: string;
  code?: string;
}

const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

export interface WorkerHasherOptions {
  /**
   * Starts every thread now rather than on first use: a thread takes tens of milliseconds to boot,
   * which a caller about to check data on disk would otherwise wait for (the CLI starts them before
   * it loads the session's modules).
   */
  startNow?: boolean;
}

export function workerHasher(threads = Math.max(1, Math.min(availableParallelism(), 4)), options: WorkerHasherOptions = {}): Hasher {
  const pool: PoolWorker[] = [];
  const pending = new Map<number, Pending>();
  let nextJob = 1;
  let closed = false;
  /** Scratch ArrayBuffers (SCRATCH_SIZE bytes) back from the workers, and every one we handed out. */
  const free: ArrayBuffer[] = [];
  const ours = new WeakSet<ArrayBufferLike>();

  const spawn = (): PoolWorker => {
    const entry: PoolWorker = { worker: new Worker(HASH_WORKER_PROGRAM, { eval: true }), jobs: 0 };
    entry.worker.on('message', (m: WorkerReply) => {
      const job = pending.get(m.job);
      if (!job) return;
      if (job.read) return settleRead(m, job);
      if (m.chunk && m.chunk.buffer.byteLength === SCRATCH_SIZE && free.length < MAX_FREE_BUFFERS) free.push(m.chunk.buffer as ArrayBuffer);
      if (m.ack) {
        job.inFlight--;
        if (job.inFlight < MAX_CHUNKS_IN_FLIGHT) job.drained?.();
        return;
      }
      finish(m.job, job);
      if (m.digests) job.each?.resolve(m.digests.map(asBuffer));
      else job.done?.resolve(asBuffer(m.digest!));
    });
    entry.worker.on('error', (err) => {
      for (const [id, job] of pending) {
        if (job.worker !== entry) continue;
        finish(id, job);
        job.done?.reject(err);
        job.each?.reject(err);
        job.read?.reject(err);
        job.drained?.();
      }
      const at = pool.indexOf(entry);
      if (at >= 0) pool.splice(at, 1);
    });
    // An idle pool never keeps the process alive. After the listeners: adding a 'message' listener
    // refs the worker again.
    entry.worker.unref();
    pool.push(entry);
    return entry;
  };

  const settleRead = (m: WorkerReply, job: Pending) => {
    const read = job.read!;
    job.read = undefined;
    if (m.finished || !m.digests || job.aborted) finish(m.job, job);
    if (m.ended) read.reject(new FileEndedError());
    else if (m.error !== undefined) read.reject(Object.assign(new Error(m.error), { code: m.code }));
    else read.resolve(m.digests!.map(asBuffer));
  };

  const finish = (id: number, job: Pending) => {
    pending.delete(id);
    if (--job.worker.jobs === 0) job.worker.worker.unref();
  };

  /** The least busy worker, spawned on first use. */
  const pick = (): PoolWorker => {
    if (closed) throw new Error('the hasher is closed');
    let best: PoolWorker | undefined;
    for (const entry of pool) if (!best || entry.jobs < best.jobs) best = entry;
    if ((!best || best.jobs > 0) && pool.length < threads) best = spawn();
    if (best!.jobs++ === 0) best!.worker.ref(); // work in flight keeps the process alive until it is done
    return best!;
  };

  const post = (entry: PoolWorker, message: { op: string; job: number; chunk?: Uint8Array; lengths?: readonly number[] }) => {
    const chunk = message.chunk;
    if (!chunk) return entry.worker.postMessage(message);
    // A scratch buffer, or a buffer that is its whole ArrayBuffer, moves; a view into a shared slab is copied.
    const owned = chunk.byteOffset === 0 && (ours.has(chunk.buffer) || chunk.buffer.byteLength === chunk.byteLength) && !(chunk.buffer instanceof SharedArrayBuffer);
    const sent = owned ? new Uint8Array(chunk.buffer, 0, chunk.byteLength) : new Uint8Array(chunk);
    entry.worker.postMessage({ ...message, chunk: sent }, [sent.buffer as ArrayBuffer]);
  };

  if (options.startNow) while (pool.length < threads) spawn();

  return {
    start() {
      const id = nextJob++;
      const job: Pending = { worker: pick(), inFlight: 0 };
      pending.set(id, job);
      return {
        update(chunk) {
          if (!pending.has(id)) return Promise.reject(new Error('hash job already finished'));
          job.inFlight++;
          post(job.worker, { op: 'update', job: id, chunk });
          if (job.inFlight < MAX_CHUNKS_IN_FLIGHT) return Promise.resolve();
          return new Promise<void>((resolve) => (job.drained = resolve));
        },
        digest(last) {
          return new Promise<Buffer>((resolve, reject) => {
            job.done = { resolve, reject };
            post(job.worker, { op: 'digest', job: id, chunk: last });
          });
        },
        abort() {
          if (!pending.has(id)) return;
          finish(id, job);
          job.worker.worker.postMessage({ op: 'abort', job: id });
        },
      };
    },
    hashEach(data, lengths) {
      const id = nextJob++;
      const entry = pick();
      return new Promise<Buffer[]>((resolve, reject) => {
        pending.set(id, { worker: entry, inFlight: 0, each: { resolve, reject } });
        post(entry, { op: 'each', job: id, chunk: data, lengths });
      });
    },
    readPieces(lengths) {
      const id = nextJob++;
      const job: Pending = { worker: pick(), inFlight: 0 };
      pending.set(id, job);
      let first = true;
      return {
        add(extent) {
          if (!pending.has(id) || job.aborted) return Promise.reject(new Error('read job already finished'));
          if (job.read) return Promise.reject(new Error('one extent at a time'));
          return new Promise<Buffer[]>((resolve, reject) => {
            job.read = { resolve, reject };
            // The lengths go once, with the first extent.
            job.worker.worker.postMessage({ op: 'read', job: id, fd: extent.fd, position: extent.position, length: extent.length, lengths: first ? lengths : undefined });
            first = false;
          });
        },
        abort() {
          if (!pending.has(id) || job.aborted) return;
          job.aborted = true;
          job.worker.worker.postMessage({ op: 'abort', job: id });
          if (!job.read) finish(id, job);
        },
      };
    },
    scratch(length) {
      if (length > SCRATCH_SIZE) return Buffer.allocUnsafeSlow(length);
      const buffer = free.pop() ?? new ArrayBuffer(SCRATCH_SIZE);
      ours.add(buffer);
      return Buffer.from(buffer, 0, length);
    },
    async close() {
      closed = true;
      await Promise.all(pool.splice(0).map((entry) => entry.worker.terminate()));
      for (const [id, job] of pending) {
        pending.delete(id);
        job.done?.reject(new Error('the hasher was closed'));
        job.each?.reject(new Error('the hasher was closed'));
        job.read?.reject(new Error('the hasher was closed'));
        job.drained?.();
      }
    },
  };
}
