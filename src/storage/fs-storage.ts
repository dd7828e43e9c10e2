import { constants } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import type { FileExtent } from '../env/file-extent.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { FileLayout } from './file-layout.js';
import { sliceBlocks, totalLength } from './block-slices.js';
import { HandlePool, type OpenedFile } from './handle-pool.js';
import { SafePaths } from './safe-paths.js';
import { StorageError, isStorageError, toStorageError, type FileStat, type StorageFactory, type TorrentStorage } from './storage.js';

export interface FsStorageOptions {
  /** Most file handles open at once (default 64). */
  maxOpenFiles?: number;
}

const { O_RDWR, O_RDONLY, O_WRONLY, O_CREAT, O_NOFOLLOW } = constants;
const STAT_CONCURRENCY = 8;

/**
 * A torrent's files on disk, read and written in place at positions; no file is ever held whole
 * in memory or truncated. Files are opened lazily (created on their first write) and kept in a
 * bounded pool of handles. Every path is checked to stay inside `downloadDir` (see SafePaths).
 *
 * Files are opened with O_NOFOLLOW: a symlink where a file should be is followed only when its
 * real path is inside the download folder. BEP 47 symlink entries are not created.
 */
export class FsStorage implements TorrentStorage {
  readonly layout: FileLayout;
  private readonly paths: SafePaths;
  private readonly pool: HandlePool;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly meta: Pick<Metainfo, 'files'>,
    downloadDir: string,
    options: FsStorageOptions = {},
  ) {
    this.layout = new FileLayout(meta.files);
    this.paths = new SafePaths(downloadDir);
    this.pool = new HandlePool(options.maxOpenFiles ?? 64, (index, write) => this.openFile(index, write));
  }

  /** Handles open now and at most so far (the pool's bound is `maxOpenFiles`). */
  get openFiles(): { now: number; peak: number } {
    return { now: this.pool.openCount, peak: this.pool.peakOpen };
  }

  prepare(): Promise<void> {
    return this.run(async () => {
      // Every path is checked before anything is created.
      const targets = this.meta.files.map((file) => this.paths.lexical(file.path));
      for (const [index, file] of this.meta.files.entries()) {
        if (file.padding || file.symlinkTarget !== undefined) continue;
        const target = targets[index]!;
        await this.paths.folders(target, true);
        if (file.length === 0) await (await this.openPath(target, O_WRONLY | O_CREAT, 'create')).close();
      }
    });
  }

  read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    return this.run(async () => {
      const segments = this.layout.segments(offset, length);
      const out = into !== undefined && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      for (const segment of segments) {
        const at = segment.offset - offset;
        if (segment.padding) {
          out.fill(0, at, at + segment.length);
          continue;
        }
        await this.pool.use(segment.fileIndex, false, (handle) =>
          this.readFully(handle, out, at, segment.length, segment.fileOffset, segment.fileIndex),
        );
      }
      return out;
    });
  }

  /** The descriptors come from the same pool and checks as read()'s: one file held at a time. */
  eachFileExtent(offset: number, length: number, use: (extent: FileExtent) => Promise<void>): Promise<void> {
    return this.run(async () => {
      for (const segment of this.layout.segments(offset, length)) {
        if (segment.padding) await use({ length: segment.length });
        else await this.pool.use(segment.fileIndex, false, (handle) => use({ fd: handle.fd, position: segment.fileOffset, length: segment.length }));
      }
    });
  }

  write(offset: number, data: Buffer): Promise<void> {
    return this.run(async () => {
      for (const segment of this.layout.segments(offset, data.length)) {
        if (segment.padding) continue;
        const at = segment.offset - offset;
        await this.pool.use(segment.fileIndex, true, (handle) =>
          this.writeFully(handle, data.subarray(at, at + segment.length), segment.fileOffset, segment.fileIndex),
        );
      }
    });
  }

  /** One positional writev per file the blocks reach: no copy of the piece. */
  writeBlocks(offset: number, blocks: readonly Buffer[]): Promise<void> {
    return this.run(async () => {
      for (const segment of this.layout.segments(offset, totalLength(blocks))) {
        if (segment.padding) continue;
        const slices = sliceBlocks(blocks, segment.offset - offset, segment.length);
        await this.pool.use(segment.fileIndex, true, (handle) => this.writevFully(handle, slices, segment.fileOffset, segment.fileIndex));
      }
    });
  }

  stat(): Promise<FileStat[]> {
    return this.run(async () => {
      const result: FileStat[] = new Array(this.meta.files.length).fill(undefined);
      let next = 0;
      const worker = async () => {
        while (next < this.meta.files.length) {
          const index = next++;
          result[index] = await this.statFile(index);
        }
      };
      await Promise.all(Array.from({ length: STAT_CONCURRENCY }, worker));
      return result;
    });
  }

  flush(): Promise<void> {
    return this.run(() => this.pool.flush());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.pool.closeAll();
  }

  private run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError('closed', 'the storage is closed'));
    const promise = operation();
    this.inFlight.add(promise);
    void promise.then(
      () => this.inFlight.delete(promise),
      () => this.inFlight.delete(promise),
    );
    return promise;
  }

  private async statFile(index: number): Promise<FileStat> {
    const file = this.meta.files[index]!;
    if (file.padding || file.symlinkTarget !== undefined) return undefined;
    const target = this.paths.lexical(file.path);
    if (!(await this.paths.folders(target, false))) return undefined;
    try {
      let info = await lstat(target);
      if (info.isSymbolicLink()) info = await stat(await this.paths.followInside(target));
      return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw toStorageError(err, `look at ${file.path.join('/')}`);
    }
  }

  private async openFile(index: number, write: boolean): Promise<OpenedFile> {
    const file = this.meta.files[index]!;
    const target = this.paths.lexical(file.path);
    if (!(await this.paths.folders(target, write))) {
      throw new StorageError('missing-data', `cannot read ${file.path.join('/')}: its folder is missing`);
    }
    // A file that cannot be opened read-write may still be read (seeding from a read-only copy).
    if (write) return { handle: await this.openPath(target, O_RDWR | O_CREAT, 'write'), writable: true };
    try {
      return { handle: await this.openPath(target, O_RDWR, 'read'), writable: true };
    } catch (err) {
      if (!isStorageError(err, 'read-only') && !isStorageError(err, 'permission-denied')) throw err;
      return { handle: await this.openPath(target, O_RDONLY, 'read'), writable: false };
    }
  }

  /** Opens a regular file without following a symlink unless it stays inside the folder. */
  private async openPath(target: string, flags: number, verb: string): Promise<FileHandle> {
    const what = `${verb} ${this.paths.show(target)}`;
    let handle: FileHandle;
    try {
      try {
        handle = await open(target, flags | O_NOFOLLOW, 0o666);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
        handle = await open(await this.paths.followInside(target), flags | O_NOFOLLOW, 0o666);
      }
    } catch (err) {
      throw toStorageError(err, what);
    }
    // A FIFO or device opens fine and would block or lie: only regular files hold torrent data.
    const info = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw toStorageError(err, what);
    });
    if (!info.isFile()) {
      await handle.close();
      throw new StorageError('not-a-file', `cannot ${what}: it is not a regular file`);
    }
    return handle;
  }

  private async readFully(handle: FileHandle, out: Buffer, at: number, length: number, position: number, index: number): Promise<void> {
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(out, at + done, length - done, position + done));
      } catch (err) {
        throw toStorageError(err, `read ${this.meta.files[index]!.path.join('/')}`);
      }
      if (bytesRead === 0) {
        throw new StorageError('missing-data', `cannot read ${this.meta.files[index]!.path.join('/')}: it ends before byte ${position + length}`);
      }
      done += bytesRead;
    }
  }

  private async writevFully(handle: FileHandle, slices: Buffer[], position: number, index: number): Promise<void> {
    let pending = slices;
    let at = position;
    while (pending.length > 0) {
      let written: number;
      try {
        ({ bytesWritten: written } = await handle.writev(pending, at));
      } catch (err) {
        throw toStorageError(err, `write ${this.meta.files[index]!.path.join('/')}`);
      }
      if (written === 0) throw toStorageError(new Error('the write made no progress'), `write ${this.meta.files[index]!.path.join('/')}`);
      at += written;
      // A short write: drop what went out and continue with the rest.
      pending = sliceBlocks(pending, written, totalLength(pending) - written);
    }
  }

  private async writeFully(handle: FileHandle, data: Buffer, position: number, index: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      try {
        const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      } catch (err) {
        throw toStorageError(err, `write ${this.meta.files[index]!.path.join('/')}`);
      }
    }
  }
}

export function fsStorageFactory(options: FsStorageOptions = {}): StorageFactory {
  return { open: (meta, downloadDir) => new FsStorage(meta, downloadDir, options) };
}
