import type { FileHandle } from 'node:fs/promises';
import { StorageError } from './storage.js';

export interface OpenedFile {
  handle: FileHandle;
  /** False when the file could only be opened read-only (a write then reopens it, or fails). */
  writable: boolean;
}

interface Entry {
  index: number;
  opening: Promise<FileHandle>;
  writable: boolean | undefined;
  users: number;
  dirty: boolean;
  /** Out of the map; closed when its last user is done. */
  retired: boolean;
}

/**
 * A bounded set of open file handles, least recently used closed first, so a torrent of 10 000
 * files does not use 10 000 descriptors. At most `limit` handles are open at any moment: a caller
 * that needs another while all are busy waits for one to be released. Each caller holds one handle
 * at a time, so waiting cannot deadlock.
 */
export class HandlePool {
  /** Insertion order is recency order: a used entry is moved to the end. */
  private readonly entries = new Map<number, Entry>();
  private readonly waiters: (() => void)[] = [];
  private readonly closing = new Set<Promise<void>>();
  private live = 0;
  private closed = false;
  /** An error from syncing a handle closed by eviction, reported by the next flush. */
  private deferredError: unknown;
  /** Most handles open at once, for tests and diagnostics. */
  peakOpen = 0;

  constructor(
    private readonly limit: number,
    private readonly opener: (index: number, write: boolean) => Promise<OpenedFile>,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`open-file limit ${limit} must be a positive integer`);
  }

  get openCount(): number {
    return this.live;
  }

  /** Runs `fn` with the handle of file `index`, opened for writing when `write` is set. */
  async use<T>(index: number, write: boolean, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const entry = await this.acquire(index, write);
      try {
        const handle = await entry.opening;
        if (write && entry.writable === false) {
          // Opened read-only for a reader; retire it and reopen for writing (once).
          if (attempt > 0) throw new StorageError('read-only', `file ${index} cannot be opened for writing`);
          this.retire(entry);
          continue;
        }
        if (write) entry.dirty = true;
        return await fn(handle);
      } finally {
        this.release(entry);
      }
    }
  }

  /** Syncs every handle written since the last flush, including those closed meanwhile. */
  async flush(): Promise<void> {
    await Promise.all([...this.closing]);
    const dirty = [...this.entries.values()].filter((e) => e.dirty);
    for (const entry of dirty) {
      entry.users++;
      try {
        entry.dirty = false;
        await (await entry.opening).datasync();
      } finally {
        this.release(entry);
      }
    }
    if (this.deferredError !== undefined) {
      const err = this.deferredError;
      this.deferredError = undefined;
      throw err;
    }
  }

  /** Closes every handle; callers must have finished their operations. */
  async closeAll(): Promise<void> {
    this.closed = true;
    for (const entry of [...this.entries.values()]) this.retire(entry);
    while (this.closing.size > 0) await Promise.all([...this.closing]);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async acquire(index: number, write: boolean): Promise<Entry> {
    for (;;) {
      if (this.closed) throw new StorageError('closed', 'the storage is closed');
      let entry = this.entries.get(index);
      if (entry !== undefined && write && entry.writable === false) {
        this.retire(entry);
        entry = undefined;
      }
      if (entry !== undefined) {
        this.entries.delete(index);
        this.entries.set(index, entry);
        entry.users++;
        return entry;
      }
      if (this.live < this.limit) return this.create(index, write);
      const idle = this.oldestIdle();
      if (idle !== undefined) {
        this.retire(idle);
        await Promise.all([...this.closing]);
      } else {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    }
  }

  private create(index: number, write: boolean): Entry {
    this.live++;
    this.peakOpen = Math.max(this.peakOpen, this.live);
    const entry: Entry = { index, opening: undefined as never, writable: undefined, users: 1, dirty: false, retired: false };
    entry.opening = this.opener(index, write).then(
      (opened) => {
        entry.writable = opened.writable;
        return opened.handle;
      },
      (err: unknown) => {
        // Nothing is open: forget the entry so the next caller tries again.
        if (this.entries.get(index) === entry) this.entries.delete(index);
        entry.retired = true;
        throw err;
      },
    );
    this.entries.set(index, entry);
    return entry;
  }

  private oldestIdle(): Entry | undefined {
    for (const entry of this.entries.values()) if (entry.users === 0) return entry;
    return undefined;
  }

  private retire(entry: Entry): void {
    if (this.entries.get(entry.index) === entry) this.entries.delete(entry.index);
    entry.retired = true;
    if (entry.users === 0) this.close(entry);
  }

  private release(entry: Entry): void {
    entry.users--;
    if (entry.users === 0 && entry.retired) this.close(entry);
    this.wake();
  }

  private close(entry: Entry): void {
    const done = (async () => {
      let handle: FileHandle;
      try {
        handle = await entry.opening;
      } catch {
        return; // it never opened
      }
      try {
        if (entry.dirty) await handle.datasync();
      } catch (err) {
        this.deferredError ??= err;
      }
      await handle.close().catch(() => undefined);
    })().finally(() => {
      this.live--;
      this.closing.delete(done);
      this.wake();
    });
    this.closing.add(done);
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
