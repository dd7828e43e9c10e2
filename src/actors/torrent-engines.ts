import { DownloadEngine } from '../engine/download-engine.js';
import { PieceCache } from '../engine/piece-cache.js';
import { type RateLimiter, TokenBucket } from '../engine/token-bucket.js';
import { UploadEngine } from '../engine/upload-engine.js';
import type { Clock } from '../env/clock.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import type { TorrentStorage } from '../storage/storage.js';
import { messageOf } from '../util/message-of.js';
import type { PieceToVerify } from './file-manager.js';

/** The block paths of one torrent, built from its input; complete pieces go to `verify`, anything else they report to `report` (the Torrent actor). */

export interface TorrentEnginesInput {
  meta: Metainfo;
  storage: TorrentStorage;
  clock: Clock;
  rng: () => number;
  wanted?: Uint8Array;
  priorities?: Int8Array;
  pipelineDepth?: number;
  uploadLimit?: number;
  downloadLimit?: number;
  /** Limiters owned by the caller (the daemon changes their rates at run time); they take the place of the limits above. */
  uploadLimiter?: RateLimiter;
  downloadLimiter?: RateLimiter;
}

export type EngineReport = { type: 'DISK_ERROR'; message: string } | { type: 'PEER.VIOLATION'; key: string; reason: string };

/**
 * Where complete pieces go to be verified: the FileManager's verifier, directly. A piece is the hot
 * path of a download (thousands a minute), and each hop through a machine costs a transition.
 */
export type PieceSink = (piece: PieceToVerify) => void;

export interface TorrentEngines {
  download: DownloadEngine;
  upload: UploadEngine;
}

export function createTorrentEngines(input: TorrentEnginesInput, report: (event: EngineReport) => void, verify: PieceSink): TorrentEngines {
  const { meta, storage, clock } = input;
  const onViolation = (key: string, reason: string) => report({ type: 'PEER.VIOLATION', key, reason });
  const download = new DownloadEngine({
    pieceCount: meta.pieceCount,
    pieceLength: meta.pieceLength,
    totalLength: meta.length,
    wanted: input.wanted,
    priorities: input.priorities,
    clock,
    rng: input.rng,
    pipelineDepth: input.pipelineDepth,
    limiter: input.downloadLimiter ?? (input.downloadLimit ? new TokenBucket(input.downloadLimit, clock) : undefined),
    write: (offset, block) => storage.write(offset, block),
    onPieceWritten: (index) => verify({ type: 'VERIFY', index }),
    onPieceAssembled: (index, blocks) => verify({ type: 'STORE', index, blocks }),
    onWriteError: (err) => report({ type: 'DISK_ERROR', message: `write failed: ${messageOf(err)}` }),
    onViolation,
  });
  const cache = new PieceCache({ pieceLength: meta.pieceLength, pieceCount: meta.pieceCount, totalLength: meta.length }, (offset, length, into) =>
    storage.read(offset, length, into),
  );
  const upload = new UploadEngine({
    pieceCount: meta.pieceCount,
    pieceLength: meta.pieceLength,
    totalLength: meta.length,
    have: (index) => download.have(index),
    limiter: input.uploadLimiter ?? (input.uploadLimit ? new TokenBucket(input.uploadLimit, clock) : undefined),
    read: (offset, length) => cache.read(offset, length),
    release: (block, reusable) => cache.release(block, reusable),
    onViolation,
    onReadError: (err) => report({ type: 'DISK_ERROR', message: `read failed: ${messageOf(err)}` }),
  });
  return { download, upload };
}
