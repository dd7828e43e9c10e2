import type { Metainfo } from '../protocol/metainfo/index.js';
import { StorageError, type FileStat, type TorrentStorage } from '../storage/storage.js';
import { BLOCK_SIZE } from '../protocol/wire/index.js';

/**
 * A simulated peer's disk for a single-file torrent whose true content (`payload`) the simulation
 * holds once: every 16 KiB block written is compared with the payload in place; a block that
 * matches is remembered as one bit, one that differs is kept as bytes. Reads of matching blocks are
 * views of the payload, even when a buffer to read into is offered. So 30 leechers of a 64 MiB
 * torrent cost 30 bitmaps instead of 2 GiB of copies, and "byte-exact" is known without hashing
 * anything again (`firstDifference`).
 * Same contract as MemoryStorage (unwritten bytes inside the file read as zeros; reads past the end
 * fail with `missing-data`), plus an optional latency on the simulated clock.
 */
export class PayloadStorage implements TorrentStorage {
  /** 1 = written and equal to the payload. */
  private readonly matching: Uint8Array;
  /** Written blocks that differ from the payload (whole-block copies). */
  private readonly differing = new Map<number, Buffer>();
  private size: number | undefined;
  private closed = false;

  constructor(
    private readonly meta: Pick<Metainfo, 'files' | 'length'>,
    private readonly payload: Buffer,
    private readonly options: { complete?: boolean; latencyMs?: number; delay?: (ms: number) => Promise<void> } = {},
  ) {
    if (meta.files.length !== 1 || meta.length !== payload.length) throw new RangeError('PayloadStorage holds one file exactly as long as its payload');
    if ((options.latencyMs ?? 0) > 0 && !options.delay) throw new RangeError('PayloadStorage: latencyMs needs a delay function');
    this.matching = new Uint8Array(Math.ceil(payload.length / BLOCK_SIZE)).fill(options.complete ? 1 : 0);
    if (options.complete) this.size = payload.length;
  }

  /** Byte offset of the first difference from the payload, or -1 when the file is exactly the payload. */
  firstDifference(): number {
    if (this.size !== this.payload.length) return Math.min(this.size ?? 0, this.payload.length);
    for (let i = 0; i < this.matching.length; i++) {
      if (this.matching[i] === 1) continue;
      const at = i * BLOCK_SIZE;
      const expected = this.payload.subarray(at, Math.min(this.payload.length, at + BLOCK_SIZE));
      const have = this.differing.get(i) ?? Buffer.alloc(expected.length);
      for (let j = 0; j < expected.length; j++) if (have[j] !== expected[j]) return at + j;
    }
    return -1;
  }

  async prepare(): Promise<void> {
    await this.enter();
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    await this.enter();
    this.checkRange(offset, length);
    if (this.size === undefined || offset + length > this.size) {
      throw new StorageError('missing-data', `cannot read ${this.meta.files[0]!.path.join('/')}: ${this.size === undefined ? 'the file is missing' : `it ends before byte ${offset + length}`}`);
    }
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    let allMatch = true;
    for (let i = first; i <= last && allMatch; i++) allMatch = this.matching[i] === 1;
    // Memory of its own, even when a buffer is offered (the storage contract allows it; the piece
    // cache then pins nothing): copying the payload into upload buffers was a tenth of a simulation.
    if (allMatch) return this.payload.subarray(offset, offset + length);
    const out = into !== undefined && into.length >= length ? into.subarray(0, length) : Buffer.alloc(length);
    for (let i = first; i <= last; i++) {
      const from = Math.max(offset, i * BLOCK_SIZE);
      const to = Math.min(offset + length, (i + 1) * BLOCK_SIZE);
      const source = this.matching[i] === 1 ? this.payload.subarray(from, to) : this.differing.get(i)?.subarray(from - i * BLOCK_SIZE, to - i * BLOCK_SIZE);
      if (source) source.copy(out, from - offset);
      else out.fill(0, from - offset, to - offset);
    }
    return out;
  }

  /** One disk operation, compared block by block in place: nothing is concatenated (the simulator moves gigabytes). */
  async writeBlocks(offset: number, blocks: readonly Buffer[]): Promise<void> {
    await this.enter();
    let at = offset;
    for (const block of blocks) {
      this.store(at, block);
      at += block.length;
    }
  }

  async write(offset: number, data: Buffer): Promise<void> {
    await this.enter();
    this.store(offset, data);
  }

  private store(offset: number, data: Buffer): void {
    this.checkRange(offset, data.length);
    for (let at = offset; at < offset + data.length; ) {
      const i = Math.floor(at / BLOCK_SIZE);
      const blockStart = i * BLOCK_SIZE;
      const blockEnd = Math.min(this.payload.length, blockStart + BLOCK_SIZE);
      const to = Math.min(offset + data.length, blockEnd);
      const part = data.subarray(at - offset, to - offset);
      const wholeBlock = at === blockStart && to === blockEnd;
      if (wholeBlock && part.equals(this.payload.subarray(at, to))) {
        this.matching[i] = 1;
        this.differing.delete(i);
      } else {
        // Partial or differing: keep the block's bytes as they now are.
        let block = this.differing.get(i);
        if (!block) {
          block = Buffer.alloc(blockEnd - blockStart);
          if (this.matching[i] === 1) this.payload.copy(block, 0, blockStart, blockEnd);
        }
        part.copy(block, at - blockStart);
        if (block.equals(this.payload.subarray(blockStart, blockEnd))) {
          this.matching[i] = 1;
          this.differing.delete(i);
        } else {
          this.matching[i] = 0;
          this.differing.set(i, block);
        }
      }
      at = to;
    }
    this.size = Math.max(this.size ?? 0, offset + data.length);
  }

  async stat(): Promise<FileStat[]> {
    if (this.closed) throw new StorageError('closed', 'the storage is closed');
    return [this.size === undefined ? undefined : { size: this.size, mtimeMs: 0 }];
  }

  async flush(): Promise<void> {
    await this.enter();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.payload.length) {
      throw new StorageError('out-of-range', `range ${offset}+${length} is outside the torrent (${this.payload.length} bytes)`);
    }
  }

  private async enter(): Promise<void> {
    if (this.closed) throw new StorageError('closed', 'the storage is closed');
    const latency = this.options.latencyMs ?? 0;
    if (latency > 0) {
      await this.options.delay!(latency);
      if (this.closed) throw new StorageError('closed', 'the storage is closed');
    }
  }
}
