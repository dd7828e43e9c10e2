import { PieceHasher, encodeTorrent, parseTorrent, type Metainfo } from '../../src/protocol/metainfo/index.js';
import { MemoryStorage, type MemoryStorageOptions } from '../../src/storage/memory-storage.js';
import { seededRng } from './fuzz.js';

/**
 * A torrent built in memory from seeded random bytes: the payload and its parsed Metainfo, and
 * MemoryStorages holding none, all or some of it. Nothing touches the disk.
 */
export interface MemoryTorrent {
  meta: Metainfo;
  payload: Buffer;
  /** An empty storage, as for a new download. */
  emptyStorage(options?: MemoryStorageOptions): MemoryStorage;
  /** A storage holding the given pieces (default: all of them). */
  storageWith(pieces?: number[], options?: MemoryStorageOptions): Promise<MemoryStorage>;
  /** The bytes of one piece. */
  piece(index: number): Buffer;
}

export function memoryTorrent(options: { length: number; pieceLength: number; seed?: number; files?: number[] }): MemoryTorrent {
  const rng = seededRng(options.seed ?? 1);
  const payload = Buffer.alloc(options.length);
  for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(rng() * 256);
  const hasher = new PieceHasher(options.pieceLength);
  hasher.push(payload);
  const multiFile = options.files !== undefined;
  const files = multiFile ? options.files!.map((length, i) => ({ path: [`file-${i}.bin`], length })) : [{ path: ['payload.bin'], length: options.length }];
  if (files.reduce((sum, f) => sum + f.length, 0) !== options.length) throw new Error('file lengths do not add up to the payload');
  const meta = parseTorrent(encodeTorrent({ name: 'payload', files, multiFile, pieceLength: options.pieceLength, pieces: hasher.finish() }));
  const piece = (index: number) => payload.subarray(index * meta.pieceLength, Math.min(meta.length, (index + 1) * meta.pieceLength));
  return {
    meta,
    payload,
    piece,
    emptyStorage: (storageOptions = {}) => new MemoryStorage(meta, storageOptions),
    async storageWith(pieces = Array.from({ length: meta.pieceCount }, (_, i) => i), storageOptions = {}) {
      const { delay, now, ...faults } = storageOptions;
      const storage = new MemoryStorage(meta, { delay, now });
      await storage.prepare();
      for (const index of pieces) await storage.write(index * meta.pieceLength, piece(index));
      // Faults (if any) apply from here on, to the code under test only.
      Object.assign(storage.faults, faults);
      return storage;
    },
  };
}
