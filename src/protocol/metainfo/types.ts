import { ProtocolError } from '../errors.js';

export type MetainfoErrorCode =
  | 'not-a-torrent'
  | 'missing-info'
  | 'missing-name'
  | 'missing-piece-length'
  | 'missing-pieces'
  | 'invalid-pieces'
  | 'invalid-length'
  | 'invalid-path'
  | 'no-files'
  | 'too-many-pieces'
  | 'too-many-files'
  | 'too-many-duplicate-filenames'
  | 'too-large'
  | 'v2-unsupported'
  | 'invalid-bencoding';

/** A .torrent that cannot be used, with a one-line reason. */
export class MetainfoError extends ProtocolError {
  constructor(
    override readonly code: MetainfoErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** One file of the torrent, laid out in the torrent's byte space. */
export interface TorrentFile {
  /**
   * Sanitised path components, relative to the download folder. For a multi-file torrent the first
   * component is the torrent's name (its folder). Joined with the platform separator, it can never
   * leave the download folder.
   */
  path: string[];
  length: number;
  /** Byte offset of the file's first byte in the concatenation of all files. */
  offset: number;
  /** BEP 47 padding file: zeros that are hashed but never written to disk. */
  padding: boolean;
  /** BEP 47 attributes other than padding. */
  executable: boolean;
  hidden: boolean;
  /** BEP 47 symlink target (sanitised, relative to the torrent root); symlinks take no bytes. */
  symlinkTarget?: string[];
}

export interface Metainfo {
  /** SHA-1 of the exact info dictionary bytes as they appear in the file. */
  infoHash: Buffer;
  infoHashHex: string;
  /** The info dictionary's original bytes (needed to serve BEP 9 metadata). */
  infoBytes: Buffer;
  /** Sanitised name: the file name (single-file) or the top folder (multi-file). */
  name: string;
  pieceLength: number;
  pieceCount: number;
  /** Concatenated 20-byte SHA-1 hashes, one per piece. */
  pieceHashes: Buffer;
  /** Total bytes over all files, padding included. */
  length: number;
  files: TorrentFile[];
  multiFile: boolean;
  /** BEP 27. */
  private: boolean;
  /** BEP 12 tiers; a torrent with only `announce` has one tier of one URL. */
  announce: string[][];
  /** BEP 19 web seeds (parsed only). */
  urlList: string[];
  /** BEP 5 DHT bootstrap nodes. */
  nodes: { host: string; port: number }[];
  comment?: string;
  createdBy?: string;
  /** Seconds since the epoch. */
  creationDate?: number;
  /** The torrent also carries BEP 52 (v2) data, which we do not use yet. */
  hybrid: boolean;
  /** Things tolerated while loading: non-canonical bencode, renamed paths, ignored fields. */
  warnings: string[];
}

/** Limits on what a torrent may ask of us; every one is far above what real torrents need. */
export const METAINFO_LIMITS = {
  /** libtorrent's default `max_pieces`. */
  maxPieces: 0x200000,
  maxFiles: 1_000_000,
  maxPieceLength: 512 * 1024 * 1024,
  /** How many files may be renamed to resolve one clash of paths. */
  maxDuplicateFilenames: 100,
  /** Bytes of one path component, as on common file systems. */
  maxComponentBytes: 255,
  maxTorrentFileBytes: 64 * 1024 * 1024,
} as const;

export function pieceHash(meta: Pick<Metainfo, 'pieceHashes'>, index: number): Buffer {
  return meta.pieceHashes.subarray(index * 20, index * 20 + 20);
}
