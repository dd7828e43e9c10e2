/**
 * The hashing worker's whole program (CommonJS, run with `eval`, so it needs no file of its own in
 * dist or under tsx):
 * - `update` / `digest` / `abort`: one SHA-1 state per streamed job; each chunk goes back with its
 *   ack (the sender's backpressure, and the buffer to read into again);
 * - `each`: consecutive slices of one chunk, a digest each (small pieces in one message);
 * - `read`: a job over consecutive pieces (`lengths`, sent with its first extent) whose bytes the
 *   worker reads itself from a file descriptor, with positional reads into one buffer it reuses,
 *   and hashes there: only digests cross threads. Each extent is answered with the digests of the
 *   pieces it completed, `ended` when the file ends first, or `error`.
 */
export const HASH_WORKER_PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
const READ_BYTES = ${512 * 1024};
const jobs = new Map();
const reads = new Map();
let readBuffer;

function readExtent(m) {
  let job = reads.get(m.job);
  if (!job) reads.set(m.job, (job = { lengths: m.lengths, piece: 0, filled: 0, hash: createHash('sha1') }));
  readBuffer ??= Buffer.allocUnsafe(READ_BYTES);
  const digests = [];
  const completePieces = () => {
    while (job.piece < job.lengths.length && job.filled === job.lengths[job.piece]) {
      digests.push(job.hash.digest());
      job.hash = createHash('sha1');
      job.piece++;
      job.filled = 0;
    }
  };
  completePieces();
  for (let done = 0; done < m.length; ) {
    const want = Math.min(READ_BYTES, m.length - done);
    let got = want;
    if (m.fd === undefined) readBuffer.fill(0, 0, want);
    else got = readSync(m.fd, readBuffer, 0, want, m.position + done);
    if (got === 0) return { ended: true };
    for (let at = 0; at < got; ) {
      if (job.piece >= job.lengths.length) throw new Error('more bytes than the pieces hold');
      const take = Math.min(got - at, job.lengths[job.piece] - job.filled);
      job.hash.update(readBuffer.subarray(at, at + take));
      at += take;
      job.filled += take;
      completePieces();
    }
    done += got;
  }
  return { digests, finished: job.piece === job.lengths.length };
}

parentPort.on('message', (m) => {
  if (m.op === 'read') {
    let reply;
    try {
      reply = readExtent(m);
    } catch (err) {
      reply = { error: String(err && err.message), code: err && err.code };
    }
    if (!reply.digests || reply.finished) reads.delete(m.job);
    return parentPort.postMessage({ job: m.job, ...reply });
  }
  if (m.op === 'each') {
    let at = 0;
    const digests = m.lengths.map((length) => createHash('sha1').update(m.chunk.subarray(at, (at += length))).digest());
    return parentPort.postMessage({ job: m.job, digests, chunk: m.chunk }, [m.chunk.buffer]);
  }
  let hash = jobs.get(m.job);
  if (m.op === 'abort') return void (jobs.delete(m.job), reads.delete(m.job));
  if (!hash) jobs.set(m.job, (hash = createHash('sha1')));
  if (m.chunk) hash.update(m.chunk);
  if (m.op === 'update') return parentPort.postMessage({ job: m.job, ack: true, chunk: m.chunk }, m.chunk ? [m.chunk.buffer] : []);
  jobs.delete(m.job);
  parentPort.postMessage({ job: m.job, digest: hash.digest(), chunk: m.chunk }, m.chunk ? [m.chunk.buffer] : []);
});
`;
