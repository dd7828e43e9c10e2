import { writeFileSync } from 'node:fs';
import { decode, encode, isBDict } from '../../../src/protocol/bencode/index.js';
import { parseTorrent } from '../../../src/protocol/metainfo/index.js';

/**
 * A copy of `torrent` that names only `announceUrl` (no announce-list), written to `file`: the
 * same info dictionary, so the same infohash and swarm. Lets one peer of a swarm use the HTTP
 * tracker and another the UDP one.
 */
export function writeTorrentWithAnnounce(torrent: Buffer, announceUrl: string, file: string): string {
  const root = decode(torrent);
  if (!isBDict(root)) throw new Error('not a torrent');
  const copy = { ...root, announce: announceUrl, 'announce-list': undefined };
  const bytes = encode(copy);
  if (!parseTorrent(bytes).infoHash.equals(parseTorrent(torrent).infoHash)) throw new Error('re-encoding changed the infohash');
  writeFileSync(file, bytes);
  return file;
}
