import { createCipheriv, createHash } from 'node:crypto';
import type { Rng } from '../env/rng.js';
import { seededRng } from '../env/rng.js';
import { PieceHasher, encodeTorrent, parseTorrent, type Metainfo } from '../protocol/metainfo/index.js';
import { MEMORY_DISK_BLOCK, type MemoryDisk } from '../storage/memory-storage.js';

/**
 * A simulation's torrent: a payload made from a seed (the same seed, the same bytes and infohash),
 * held once and shared by every simulated peer that needs it (seeders read it, leechers are
 * compared against it).
 */
export interface SimPayload {
  meta: Metainfo;
  bytes: Buffer;
  /** SHA-256 of the whole payload, hex (computed on first use). */
  readonly sha256: string;
}

export function makePayload(options: { size: number; pieceLength: number; seed: number; name?: string; announce?: string[] }): SimPayload {
  if (!Number.isSafeInteger(options.size) || options.size < 1) throw new RangeError(`payload size ${options.size} must be a positive whole number of bytes`);
  const bytes = payloadBytes(options.seed, options.size);
  const hasher = new PieceHasher(options.pieceLength);
  hasher.push(bytes);
  const meta = parseTorrent(
    encodeTorrent({
      name: options.name ?? `sim-${options.seed}`,
      files: [{ path: [`sim-${options.seed}.bin`], length: options.size }],
      multiFile: false,
      pieceLength: options.pieceLength,
      pieces: hasher.finish(),
      trackers: options.announce,
    }),
  );
  let sha256: string | undefined;
  return {
    meta,
    bytes,
    get sha256() {
      return (sha256 ??= createHash('sha256').update(bytes).digest('hex'));
    },
  };
}

/** Zeros the payload's cipher runs over, a chunk at a time (small: each chunk of output is a fresh buffer). */
const KEYSTREAM_CHUNK = 16 * 1024;

/**
 * The payload for a seed: AES-128-CTR over zeros with a key drawn from the seeded rng, so the same
 * seed always gives the same bytes. One chunk of zeros is reused and each chunk of output copied
 * into place: a whole payload of zeros and a second one of output cost more (fresh memory is slow
 * to touch) than the cipher itself.
 */
export function payloadBytes(seed: number, length: number): Buffer {
  const keyAndIv = randomBytesFrom(seededRng(seed ^ 0x5eed), 32);
  const cipher = createCipheriv('aes-128-ctr', keyAndIv.subarray(0, 16), keyAndIv.subarray(16));
  const out = Buffer.allocUnsafeSlow(length);
  const zeros = Buffer.alloc(Math.min(length, KEYSTREAM_CHUNK));
  for (let at = 0; at < length; at += zeros.length) cipher.update(zeros.subarray(0, Math.min(zeros.length, length - at))).copy(out, at);
  cipher.final();
  return out;
}

/** `length` bytes from a seeded rng, four at a time. */
export function randomBytesFrom(rng: Rng, length: number): Buffer {
  const out = Buffer.alloc(length);
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) out.writeUInt32LE((rng() * 0x1_0000_0000) >>> 0, i);
  for (let i = whole; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/**
 * Where a MemoryDisk first differs from the payload (byte offset), or -1 when it holds exactly the
 * payload. Compares the disk's blocks in place: no copy of the download is made.
 */
export function firstDifference(disk: MemoryDisk | undefined, payload: Buffer): number {
  if (!disk) return 0;
  if (disk.sizes[0] !== payload.length) return Math.min(disk.sizes[0] ?? 0, payload.length);
  for (let at = 0; at < payload.length; at += MEMORY_DISK_BLOCK) {
    const expected = payload.subarray(at, Math.min(payload.length, at + MEMORY_DISK_BLOCK));
    const block = disk.blocks.get(at / MEMORY_DISK_BLOCK);
    if (!block) {
      // An unwritten block reads as zeros.
      const nonZero = expected.findIndex((b) => b !== 0);
      if (nonZero >= 0) return at + nonZero;
      continue;
    }
    if (!block.subarray(0, expected.length).equals(expected)) {
      for (let i = 0; i < expected.length; i++) if (block[i] !== expected[i]) return at + i;
    }
  }
  return -1;
}
