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

/** Reads at most the size limit, so a huge or endless file (a FIFO, /dev/zero) cannot exhaust memory. */
export async function readTorrentFile(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const limit = METAINFO_LIMITS.maxTorrentFileBytes;
    const buffer = Buffer.alloc(limit + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > limit) throw new CliError(`${file}: larger than ${formatBytes(limit)}, not a torrent file`);
    if (filled === 0) throw new CliError(`${file}: the file is empty`);
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
