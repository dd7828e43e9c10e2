import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

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
  close(): Promise<void>;
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

// The worker's whole program: one SHA-1 state per job, an ack for each chunk (the sender's
// backpressure); `each` hashes consecutive slices of one chunk at once.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'each') {
    let at = 0;
    const digests = m.lengths.map((length) => createHash('sha1').update(m.chunk.subarray(at, (at += length))).digest());
    return parentPort.postMessage({ job: m.job, digests, chunk: m.chunk }, [m.chunk.buffer]);
  }
  let hash = jobs.get(m.job);
  if (m.op === 'abort') return void jobs.delete(m.job);
  if (!hash) jobs.set(m.job, (hash = createHash('sha1')));
  if (m.chunk) hash.update(m.chunk);
  // Chunks go back with the ack (and the digest), to be read into again.
  if (m.op === 'update') return parentPort.postMessage({ job: m.job, ack: true, chunk: m.chunk }, m.chunk ? [m.chunk.buffer] : []);
  jobs.delete(m.job);
  parentPort.postMessage({ job: m.job, digest: hash.digest(), chunk: m.chunk }, m.chunk ? [m.chunk.buffer] : []);
});
`;

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
}

export function workerHasher(threads = Math.max(1, Math.min(availableParallelism(), 4))): Hasher {
  const pool: PoolWorker[] = [];
  const pending = new Map<number, Pending>();
  let nextJob = 1;
  let closed = false;
  /** Scratch ArrayBuffers (SCRATCH_SIZE bytes) back from the workers, and every one we handed out. */
  const free: ArrayBuffer[] = [];
  const ours = new WeakSet<ArrayBufferLike>();

  const spawn = (): PoolWorker => {
    const entry: PoolWorker = { worker: new Worker(WORKER_SOURCE, { eval: true }), jobs: 0 };
    entry.worker.unref(); // an idle pool never keeps the process alive
    entry.worker.on('message', (m: { job: number; ack?: boolean; digest?: Uint8Array; digests?: Uint8Array[]; chunk?: Uint8Array }) => {
      const job = pending.get(m.job);
      if (!job) return;
      if (m.chunk && m.chunk.buffer.byteLength === SCRATCH_SIZE && free.length < MAX_FREE_BUFFERS) free.push(m.chunk.buffer as ArrayBuffer);
      if (m.ack) {
        job.inFlight--;
        if (job.inFlight < MAX_CHUNKS_IN_FLIGHT) job.drained?.();
        return;
      }
      finish(m.job, job);
      const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      if (m.digests) job.each?.resolve(m.digests.map(asBuffer));
      else job.done?.resolve(asBuffer(m.digest!));
    });
    entry.worker.on('error', (err) => {
      for (const [id, job] of pending) {
        if (job.worker !== entry) continue;
        finish(id, job);
        job.done?.reject(err);
        job.each?.reject(err);
        job.drained?.();
      }
      const at = pool.indexOf(entry);
      if (at >= 0) pool.splice(at, 1);
    });
    pool.push(entry);
    return entry;
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
        job.drained?.();
      }
    },
  };
}
