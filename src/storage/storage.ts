import type { FileExtent } from '../env/file-extent.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { messageOf } from '../util/message-of.js';
import { contiguousView } from './block-slices.js';

/**
 * Where a torrent's bytes live. Offsets are in the torrent's byte space: all files laid end to end,
 * padding included (see file-layout.ts). Implementations: FsStorage (real files), MemoryStorage
 * (tests and the simulator, with fault injection).
 */
export interface TorrentStorage {
  /** Creates folders and zero-length files; never truncates existing data. */
  prepare(): Promise<void>;
  /**
   * Bytes [offset, offset+length) of the torrent byte space (across files; padding reads as zeros).
   * Bytes that were never stored read as zeros only inside a file's current size; a range reaching
   * into a missing file, or past the end of a short one, fails with StorageError `missing-data`.
   * With `into` (at least `length` bytes, not touched by the caller until the read settles) the bytes
   * are read into it and a view of it is returned, so a caller reading a lot can reuse its buffers.
   */
  read(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  /**
   * For a reader on another thread (the check's hashing workers, which read files themselves):
   * calls `use` for each part of [offset, offset+length) in order, with a descriptor open for
   * reading the part's file, held open until `use` settles (padding: a length alone, zeros).
   * Fails as read() does: a part in a missing file rejects with `missing-data` before `use`.
   * Optional: a storage that is not plain files (memory, the simulator) leaves it out.
   */
  eachFileExtent?(offset: number, length: number, use: (extent: FileExtent) => Promise<void>): Promise<void>;
  /** Writes at a torrent offset (across files; bytes falling in padding files are dropped). */
  write(offset: number, data: Buffer): Promise<void>;
  /**
   * Writes blocks laid end to end from `offset`, as `write(offset, Buffer.concat(blocks))` would,
   * without the concatenation (a verified piece held as the blocks it arrived in). Optional: callers
   * fall back to `write` (see `writeBlocks` below).
   */
  writeBlocks?(offset: number, blocks: readonly Buffer[]): Promise<void>;
  /**
   * One entry per entry of `meta.files`, same indexes: size and mtime (ms) of the file, or undefined
   * when it is missing. Padding files and symlinks hold no data on disk and are always undefined.
   * For resume data, and for the initial check to skip pieces without reading them.
   */
  stat(): Promise<FileStat[]>;
  /** Everything written so far is on stable storage when this resolves. */
  flush(): Promise<void>;
  /** Waits for operations in flight, then releases every resource; later calls fail with `closed`. */
  close(): Promise<void>;
}

/** Blocks written with the storage's own `writeBlocks`, or concatenated for one `write`. */
export function writeBlocks(storage: TorrentStorage, offset: number, blocks: readonly Buffer[]): Promise<void> {
  if (blocks.length === 1) return storage.write(offset, blocks[0]!);
  const whole = contiguousView(blocks);
  if (whole) return storage.write(offset, whole);
  return storage.writeBlocks ? storage.writeBlocks(offset, blocks) : storage.write(offset, Buffer.concat(blocks));
}

export type FileStat = { size: number; mtimeMs: number } | undefined;

export interface StorageFactory {
  open(meta: Metainfo, downloadDir: string): TorrentStorage;
}

export type StorageErrorCode =
  /** ENOSPC / EDQUOT, or MemoryStorage's `failWrites`. */
  | 'no-space'
  /** EROFS, or a file that could only be opened read-only. */
  | 'read-only'
  /** EACCES / EPERM. */
  | 'permission-denied'
  /** A path, or a symlink met on the way, leads outside the download folder. */
  | 'outside-folder'
  /** The range reaches into a file that is missing or shorter than the range. */
  | 'missing-data'
  /** Offset/length outside the torrent, or not whole numbers. */
  | 'out-of-range'
  /** Something other than a regular file or folder stands where one is needed. */
  | 'not-a-file'
  /** The storage was closed. */
  | 'closed'
  /** Any other I/O failure. */
  | 'io';

/**
 * An I/O failure of the storage layer (not a ProtocolError: nothing the peer sent is wrong).
 * `code` is stable and machine-readable; `message` is one line naming the file when there is one.
 */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

/** Maps a node fs error to a StorageError; `what` names the operation and file, e.g. "write a/b.bin". */
export function toStorageError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = messageOf(err).split('\n')[0];
  switch (errno) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new StorageError('no-space', `cannot ${what}: no space left on the device`, { cause: err });
    case 'EROFS':
      return new StorageError('read-only', `cannot ${what}: the file system is read-only`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new StorageError('permission-denied', `cannot ${what}: permission denied`, { cause: err });
    case 'ENOENT':
      return new StorageError('missing-data', `cannot ${what}: the file is missing`, { cause: err });
    case 'EISDIR':
    case 'ENOTDIR':
      return new StorageError('not-a-file', `cannot ${what}: a folder and a file are in each other's place`, { cause: err });
    default:
      return new StorageError('io', `cannot ${what}: ${reason}`, { cause: err });
  }
}
