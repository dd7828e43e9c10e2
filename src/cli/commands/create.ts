import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { METAINFO_LIMITS, parseTorrent } from '../../protocol/metainfo/index.js';
import { BLOCK_SIZE } from '../../protocol/wire/index.js';
import { formatMagnet } from '../../protocol/magnet.js';
import { createTorrentFromPath } from '../../storage/create-torrent.js';
import { UsageError, formatBytes, parseSize } from '../units.js';

export interface CreateCommandOptions {
  output?: string;
  announce: string[];
  pieceLength?: string;
  private?: boolean;
  comment?: string;
  webSeed: string[];
  date: boolean;
  force?: boolean;
}

// A piece holds at least one block (BEP 52 sets the same floor); the ceiling is the one parseTorrent accepts.
const MIN_PIECE_LENGTH = BLOCK_SIZE;
const MAX_PIECE_LENGTH = METAINFO_LIMITS.maxPieceLength;

export async function runCreate(target: string, options: CreateCommandOptions): Promise<void> {
  const pieceLength = options.pieceLength === undefined ? undefined : checkPieceLength(parseSize(options.pieceLength, 'piece length'));
  for (const url of [...options.announce, ...options.webSeed]) checkUrl(url);
  const { torrent, skipped } = await createTorrentFromPath(target, {
    trackers: options.announce,
    webSeeds: options.webSeed,
    pieceLength,
    private: options.private,
    comment: options.comment,
    createdBy: 'actorrent',
    creationDate: options.date ? undefined : null,
  });
  const meta = parseTorrent(torrent);
  const output = options.output ?? `${meta.name}.torrent`;
  // 'wx' refuses to replace an existing file unless asked, as mktorrent does.
  await writeFile(output, torrent, { flag: options.force ? 'w' : 'wx' });
  for (const file of skipped) process.stderr.write(`actorrent: skipped ${file} (not a regular file)\n`);
  process.stdout.write(
    [
      `created ${path.resolve(output)}`,
      `  name       ${meta.name}`,
      `  infohash   ${meta.infoHashHex}`,
      `  size       ${formatBytes(meta.length)} in ${meta.files.length} file${meta.files.length === 1 ? '' : 's'}`,
      `  pieces     ${meta.pieceCount} × ${formatBytes(meta.pieceLength)}`,
      `  magnet     ${formatMagnet({ infoHash: meta.infoHash, name: meta.name, trackers: meta.announce.flat() })}`,
      '',
    ].join('\n'),
  );
}

function checkPieceLength(bytes: number): number {
  if (bytes < MIN_PIECE_LENGTH || bytes > MAX_PIECE_LENGTH || (bytes & (bytes - 1)) !== 0) {
    throw new UsageError(`piece length ${bytes} must be a power of two from 16 KiB to 512 MiB`);
  }
  return bytes;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(url)}`);
  }
  if (!['http:', 'https:', 'udp:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new UsageError(`unsupported URL scheme ${parsed.protocol} in ${url}`);
  }
}
