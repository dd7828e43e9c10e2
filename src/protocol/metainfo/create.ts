import { createHash, type Hash } from 'node:crypto';
import { encode } from '../bencode/index.js';
import { MetainfoError } from './types.js';

/**
 * Building a torrent from content. Pure: the caller streams the bytes of the files, in order, into
 * a PieceHasher, and hands the file list and the hashes to encodeTorrent. (Reading the files is the
 * storage layer's job.)
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * A power of two between 16 KiB and 16 MiB giving at most ~2000 pieces: small torrents get small
 * pieces (fast first verification), big ones a .torrent of at most ~40 KB of hashes. mktorrent 1.1
 * uses a fixed 256 KiB unless told (-l); pass the piece length to get its exact output.
 */
export function choosePieceLength(totalLength: number): number {
  let pieceLength = 16 * KiB;
  while (pieceLength < 16 * MiB && totalLength / pieceLength > 2000) pieceLength *= 2;
  return pieceLength;
}

/** Cuts a byte stream into pieces and hashes each with SHA-1; memory stays at one hash state. */
export class PieceHasher {
  private readonly hashes: Buffer[] = [];
  private current: Hash = createHash('sha1');
  private filled = 0;

  constructor(readonly pieceLength: number) {
    if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw new RangeError(`invalid piece length ${pieceLength}`);
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(this.pieceLength - this.filled, chunk.length - at);
      this.current.update(chunk.subarray(at, at + take));
      this.filled += take;
      at += take;
      if (this.filled === this.pieceLength) this.closePiece();
    }
  }

  /** All piece hashes, concatenated; the last piece may be short. */
  finish(): Buffer {
    if (this.filled > 0) this.closePiece();
    return Buffer.concat(this.hashes);
  }

  private closePiece(): void {
    this.hashes.push(this.current.digest());
    this.current = createHash('sha1');
    this.filled = 0;
  }
}

export interface NewTorrent {
  name: string;
  /** Single-file torrent: one entry whose path is [name]. Multi-file: paths relative to the folder. */
  files: { path: string[]; length: number }[];
  multiFile: boolean;
  pieceLength: number;
  pieces: Buffer;
  /** One tier per URL, the first also as `announce` (as mktorrent does with several -a). */
  trackers?: string[];
  webSeeds?: string[];
  private?: boolean;
  comment?: string;
  createdBy?: string;
  /** Seconds since the epoch; leave out for reproducible output. */
  creationDate?: number;
}

/** The .torrent bytes. The info dictionary holds only what mktorrent writes, so infohashes agree. */
export function encodeTorrent(t: NewTorrent): Buffer {
  const totalLength = t.files.reduce((sum, f) => sum + f.length, 0);
  const expectedPieces = Math.ceil(totalLength / t.pieceLength);
  if (totalLength === 0) throw new MetainfoError('invalid-length', 'nothing to share: the content is empty');
  if (t.pieces.length !== expectedPieces * 20) {
    throw new MetainfoError('invalid-pieces', `${t.pieces.length / 20} piece hashes for ${expectedPieces} pieces`);
  }
  const info = t.multiFile
    ? { files: t.files.map((f) => ({ length: f.length, path: f.path })), name: t.name }
    : { length: totalLength, name: t.name };
  const trackers = t.trackers ?? [];
  return encode({
    announce: trackers[0],
    'announce-list': trackers.length > 1 ? trackers.map((url) => [url]) : undefined,
    comment: t.comment,
    'created by': t.createdBy,
    'creation date': t.creationDate,
    info: { ...info, 'piece length': t.pieceLength, pieces: t.pieces, private: t.private ? 1 : undefined },
    'url-list': t.webSeeds?.length ? t.webSeeds : undefined,
  });
}
