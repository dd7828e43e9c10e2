import { open } from 'node:fs/promises';
import { METAINFO_LIMITS, type Metainfo, parseTorrent } from '../protocol/metainfo/index.js';
import { ProtocolError } from '../protocol/errors.js';
import { CliError } from './errors.js';
import { formatBytes } from './units.js';

/** Reads and parses a .torrent file; every failure is one line naming the file (see main.ts). */
export async function loadTorrent(file: string): Promise<Metainfo> {
  const bytes = await readTorrentFile(file);
  try {
    return parseTorrent(bytes);
  } catch (err) {
    throw err instanceof ProtocolError ? new CliError(`${file}: ${err.message}`, { cause: err }) : err;
  }
}

/** Each read's buffer: a torrent of a few hundred KiB takes a few reads, an endless file one per step to the limit. */
const READ_CHUNK = 256 * 1024;

/**
 * Reads at most the size limit, so a huge or endless file (a FIFO, /dev/zero) cannot exhaust memory.
 * The result owns a buffer of exactly its length: the parsed torrent keeps views into it (the info
 * dictionary) for as long as it runs, so reading into one buffer as large as the limit would keep
 * 64 MiB of address space, and of `arrayBuffers` in process.memoryUsage(), for a 300 KiB file.
 */
export async function readTorrentFile(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const limit = METAINFO_LIMITS.maxTorrentFileBytes;
    const chunks: Buffer[] = [];
    let filled = 0;
    // Bounded: every round reads at least one byte or ends, and the loop ends one byte past the limit.
    while (filled <= limit) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, limit + 1 - filled));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      filled += bytesRead;
    }
    if (filled > limit) throw new CliError(`${file}: larger than ${formatBytes(limit)}, not a torrent file`);
    if (filled === 0) throw new CliError(`${file}: the file is empty`);
    return ownedCopy(chunks, filled);
  } finally {
    await handle.close();
  }
}

/** One buffer of `length` bytes backed by an ArrayBuffer of its own (never a slice of node's shared pool). */
function ownedCopy(chunks: Buffer[], length: number): Buffer {
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(out, at);
  return out;
}
