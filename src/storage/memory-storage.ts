import type { Metainfo } from '../protocol/metainfo/index.js';
import { FileLayout } from './file-layout.js';
import { StorageError, type FileStat, type StorageFactory, type TorrentStorage } from './storage.js';
import { BLOCK_SIZE } from '../protocol/wire/index.js';

/** Bytes per entry of `MemoryDisk.blocks`: one wire block, so a block written fills one entry. */
export const MEMORY_DISK_BLOCK = BLOCK_SIZE;

/** Faults a test can switch on and off while the storage is in use (`storage.faults`). */
export interface MemoryFaults {
  /** Added before every read, write and flush, through the `delay` option. */
  latencyMs?: number;
  /** Disk full: matching writes fail with StorageError `no-space` and store nothing. */
  failWrites?: boolean | ((offset: number, length: number) => boolean);
  /**
   * Reads return these bytes flipped (XOR 0xff), the stored data staying intact. `{ piece }` flips
   * the first byte of that piece; `{ offset, length }` flips every byte of the range.
   */
  corruptReads?: ({ piece: number } | { offset: number; length: number })[];
}

export interface MemoryStorageOptions extends MemoryFaults {
  /** How latency is waited for; required when `latencyMs` is set (inject a simulated clock's). */
  delay?: (ms: number) => Promise<void>;
  /** mtime source for stat(); default a counter that grows by one per write (deterministic). */
  now?: () => number;
}

/**
 * What a MemoryStorage holds: written bytes in 16 KiB blocks of the torrent byte space (so memory
 * grows with the data written, not with the torrent), and each file's size and mtime. Kept apart
 * from the storage so that a torrent reopened by the same factory finds its data again.
 */
export class MemoryDisk {
  readonly blocks = new Map<number, Buffer>();
  readonly sizes: (number | undefined)[];
  readonly mtimes: number[];

  constructor(fileCount: number) {
    this.sizes = new Array<number | undefined>(fileCount).fill(undefined);
    this.mtimes = new Array<number>(fileCount).fill(0);
  }

  get bytesStored(): number {
    return this.blocks.size * MEMORY_DISK_BLOCK;
  }
}

/** A TorrentStorage in memory for tests and the simulator, with the same semantics as FsStorage. */
export class MemoryStorage implements TorrentStorage {
  readonly layout: FileLayout;
  readonly faults: MemoryFaults;
  private readonly delay: ((ms: number) => Promise<void>) | undefined;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly meta: Pick<Metainfo, 'files' | 'pieceLength' | 'pieceCount' | 'length'>,
    options: MemoryStorageOptions = {},
    readonly disk: MemoryDisk = new MemoryDisk(meta.files.length),
  ) {
    this.layout = new FileLayout(meta.files);
    const { delay, now, ...faults } = options;
    this.faults = faults;
    this.delay = delay;
    let clock = 0;
    this.now = now ?? (() => ++clock);
    this.checkDelay();
  }

  async prepare(): Promise<void> {
    await this.enter();
    for (const [index, file] of this.meta.files.entries()) {
      if (file.length === 0 && !file.padding && file.symlinkTarget === undefined && this.disk.sizes[index] === undefined) {
        this.disk.sizes[index] = 0;
        this.disk.mtimes[index] = this.now();
      }
    }
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    await this.enter();
    const segments = this.layout.segments(offset, length);
    const out = into !== undefined && into.length >= length ? into.subarray(0, length).fill(0) : Buffer.alloc(length);
    for (const segment of segments) {
      if (segment.padding) continue;
      const size = this.disk.sizes[segment.fileIndex];
      if (size === undefined || segment.fileOffset + segment.length > size) {
        const name = this.meta.files[segment.fileIndex]!.path.join('/');
        throw new StorageError('missing-data', `cannot read ${name}: ${size === undefined ? 'the file is missing' : `it ends before byte ${segment.fileOffset + segment.length}`}`);
      }
      this.copyOut(segment.offset, segment.length, out, segment.offset - offset);
    }
    this.corrupt(offset, out);
    return out;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    await this.enter();
    const segments = this.layout.segments(offset, data.length);
    const fail = this.faults.failWrites;
    if (fail === true || (typeof fail === 'function' && fail(offset, data.length))) {
      throw new StorageError('no-space', `cannot write ${data.length} bytes at ${offset}: no space left on the device`);
    }
    for (const segment of segments) {
      if (segment.padding) continue;
      this.copyIn(data.subarray(segment.offset - offset, segment.offset - offset + segment.length), segment.offset);
      const end = segment.fileOffset + segment.length;
      this.disk.sizes[segment.fileIndex] = Math.max(this.disk.sizes[segment.fileIndex] ?? 0, end);
      this.disk.mtimes[segment.fileIndex] = this.now();
    }
  }

  async stat(): Promise<FileStat[]> {
    await this.enter(false);
    return this.meta.files.map((file, index) => {
      const size = this.disk.sizes[index];
      if (file.padding || file.symlinkTarget !== undefined || size === undefined) return undefined;
      return { size, mtimeMs: this.disk.mtimes[index]! };
    });
  }

  async flush(): Promise<void> {
    await this.enter();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async enter(slow = true): Promise<void> {
    if (this.closed) throw new StorageError('closed', 'the storage is closed');
    const latency = this.faults.latencyMs ?? 0;
    if (slow && latency > 0) {
      this.checkDelay();
      await this.delay!(latency);
      if (this.closed) throw new StorageError('closed', 'the storage is closed');
    }
  }

  private checkDelay(): void {
    if ((this.faults.latencyMs ?? 0) > 0 && this.delay === undefined) {
      throw new RangeError('MemoryStorage: latencyMs needs a delay function (no timers are hard-coded)');
    }
  }

  private copyIn(data: Buffer, offset: number): void {
    for (let done = 0; done < data.length; ) {
      const at = offset + done;
      const index = Math.floor(at / MEMORY_DISK_BLOCK);
      let block = this.disk.blocks.get(index);
      if (block === undefined) this.disk.blocks.set(index, (block = Buffer.alloc(MEMORY_DISK_BLOCK)));
      done += data.copy(block, at - index * MEMORY_DISK_BLOCK, done, Math.min(data.length, done + MEMORY_DISK_BLOCK - (at - index * MEMORY_DISK_BLOCK)));
    }
  }

  /** Unwritten blocks are zeros, as holes in a sparse file are. */
  private copyOut(offset: number, length: number, out: Buffer, outAt: number): void {
    for (let done = 0; done < length; ) {
      const at = offset + done;
      const index = Math.floor(at / MEMORY_DISK_BLOCK);
      const from = at - index * MEMORY_DISK_BLOCK;
      const take = Math.min(length - done, MEMORY_DISK_BLOCK - from);
      this.disk.blocks.get(index)?.copy(out, outAt + done, from, from + take);
      done += take;
    }
  }

  private corrupt(offset: number, out: Buffer): void {
    for (const fault of this.faults.corruptReads ?? []) {
      const range = 'piece' in fault ? { offset: fault.piece * this.meta.pieceLength, length: 1 } : fault;
      const from = Math.max(offset, range.offset);
      const to = Math.min(offset + out.length, range.offset + range.length);
      for (let at = from; at < to; at++) out[at - offset] = out[at - offset]! ^ 0xff;
    }
  }
}

/**
 * MemoryStorages that share one disk per (downloadDir, infohash): a torrent closed and opened
 * again finds what it wrote, as on a real disk. `options` apply to every storage opened.
 */
export function memoryStorageFactory(options: MemoryStorageOptions = {}): StorageFactory & {
  disk(meta: Pick<Metainfo, 'infoHashHex'>, downloadDir: string): MemoryDisk | undefined;
} {
  const disks = new Map<string, MemoryDisk>();
  const key = (meta: Pick<Metainfo, 'infoHashHex'>, dir: string) => `${dir}\u0000${meta.infoHashHex}`;
  return {
    open(meta, downloadDir) {
      const k = key(meta, downloadDir);
      let disk = disks.get(k);
      if (disk === undefined) disks.set(k, (disk = new MemoryDisk(meta.files.length)));
      return new MemoryStorage(meta, options, disk);
    },
    disk: (meta, downloadDir) => disks.get(key(meta, downloadDir)),
  };
}
