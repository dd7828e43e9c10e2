import { createHash } from 'node:crypto';
import { BencodeError, type BDict, FieldReader, decodeDocument, isBDict } from '../bencode/index.js';
import { readFiles } from './file-list.js';
import { sanitizeComponent } from './path-sanitizer.js';
import { readAnnounceTiers, readNodes, readUrlList } from './trackers.js';
import { METAINFO_LIMITS, type Metainfo, MetainfoError } from './types.js';

const fields = new FieldReader((code, message) => new MetainfoError(code as never, message), 'torrent');

/**
 * Parses and validates a v1 (or hybrid v1+v2) .torrent. Decoding is lenient where real torrents need
 * it (see bencode's lenient mode), everything else is checked; every path is sanitised so that it
 * stays inside the download folder. Throws MetainfoError.
 */
export function parseTorrent(bytes: Uint8Array): Metainfo {
  if (bytes.length > METAINFO_LIMITS.maxTorrentFileBytes) {
    throw new MetainfoError('too-large', `torrent file of ${bytes.length} bytes is larger than the ${METAINFO_LIMITS.maxTorrentFileBytes} allowed`);
  }
  const doc = decodeOrExplain(bytes);
  const warnings = doc.warnings.map((w) => `bencode: ${w.message} at byte ${w.offset}`);
  const root = doc.value;
  if (!isBDict(root)) throw new MetainfoError('not-a-torrent', 'not a torrent file: the top level is not a dictionary');
  const info = root['info'];
  if (!isBDict(info)) throw new MetainfoError('missing-info', 'the torrent has no info dictionary');
  const span = doc.span(info)!;
  const infoBytes = Buffer.from(bytes.buffer, bytes.byteOffset + span[0], span[1] - span[0]);
  const infoHash = createHash('sha1').update(infoBytes).digest();

  const hybrid = info['meta version'] !== undefined || info['file tree'] !== undefined;
  if (info['pieces'] === undefined && hybrid) {
    throw new MetainfoError('v2-unsupported', 'v2 torrents are not supported yet (this one has no v1 part)');
  }
  if (hybrid) warnings.push('hybrid v1+v2 torrent: loaded through its v1 part');

  const name = readName(info, infoHash.toString('hex'), warnings);
  const pieceLength = readPieceLength(info);
  // BEP 3 allows any piece length and real torrents use odd ones; libtorrent loads them too.
  if ((pieceLength & (pieceLength - 1)) !== 0) warnings.push(`piece length ${pieceLength} is not a power of two`);
  const { files, multiFile } = readFiles(info, name, warnings);
  const length = files.reduce((sum, f) => sum + f.length, 0);
  if (length === 0) throw new MetainfoError('invalid-length', 'the torrent holds no data (total length 0)');
  if (!Number.isSafeInteger(length)) throw new MetainfoError('invalid-length', 'the files add up to more bytes than we can address');
  const pieceCount = Math.ceil(length / pieceLength);
  if (pieceCount > METAINFO_LIMITS.maxPieces) {
    throw new MetainfoError('too-many-pieces', `${pieceCount} pieces is more than the ${METAINFO_LIMITS.maxPieces} allowed`);
  }
  const pieceHashes = readPieces(info, pieceCount);

  const creationDate = root['creation date'];
  if (creationDate !== undefined && typeof creationDate !== 'number') warnings.push('creation date is not an integer; ignored');
  const meta: Metainfo = {
    infoHash,
    infoHashHex: infoHash.toString('hex'),
    infoBytes,
    name,
    pieceLength,
    pieceCount,
    pieceHashes,
    length,
    files,
    multiFile,
    private: info['private'] === 1,
    announce: readAnnounceTiers(root, warnings),
    urlList: readUrlList(root, warnings),
    nodes: readNodes(root, warnings),
    hybrid,
    warnings,
  };
  const comment = optionalText(root, 'comment.utf-8') ?? optionalText(root, 'comment');
  const createdBy = optionalText(root, 'created by');
  if (comment !== undefined) meta.comment = comment;
  if (createdBy !== undefined) meta.createdBy = createdBy;
  if (typeof creationDate === 'number') meta.creationDate = creationDate;
  return meta;
}

function decodeOrExplain(bytes: Uint8Array) {
  try {
    return decodeDocument(bytes, { mode: 'lenient', recordSpans: true });
  } catch (err) {
    if (err instanceof BencodeError) throw new MetainfoError('invalid-bencoding', `not a valid torrent file: ${err.message}`);
    throw err;
  }
}

/**
 * The name as a single sanitised path component (it becomes a file or folder name). A name with
 * nothing usable left (`..`) is replaced by the infohash, as libtorrent does.
 */
function readName(info: BDict, infoHashHex: string, warnings: string[]): string {
  const raw = info['name.utf-8'] ?? info['name'];
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new MetainfoError('missing-name', 'the torrent has no name (info.name)');
  const clean = sanitizeComponent(raw, METAINFO_LIMITS.maxComponentBytes);
  if (clean.changed) {
    warnings.push(`name ${JSON.stringify(raw.toString('utf8'))} sanitised to ${JSON.stringify(clean.name ?? infoHashHex)}`);
  }
  return clean.name ?? infoHashHex;
}

function readPieceLength(info: BDict): number {
  const value = info['piece length'];
  if (typeof value !== 'number' || value <= 0) {
    throw new MetainfoError('missing-piece-length', 'info.piece length is missing or not a positive integer');
  }
  if (value > METAINFO_LIMITS.maxPieceLength) {
    throw new MetainfoError('missing-piece-length', `piece length ${value} is larger than the ${METAINFO_LIMITS.maxPieceLength} allowed`);
  }
  return value;
}

function readPieces(info: BDict, pieceCount: number): Buffer {
  const pieces = fields.optionalBytes(info, 'pieces');
  if (pieces === undefined) throw new MetainfoError('missing-pieces', 'info.pieces is missing');
  if (pieces.length % 20 !== 0) {
    throw new MetainfoError('invalid-pieces', `info.pieces is ${pieces.length} bytes, not a multiple of 20`);
  }
  if (pieces.length / 20 !== pieceCount) {
    throw new MetainfoError('invalid-pieces', `info.pieces has ${pieces.length / 20} hashes but the files need ${pieceCount}`);
  }
  return pieces;
}

function optionalText(dict: BDict, key: string): string | undefined {
  const value = dict[key];
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}
