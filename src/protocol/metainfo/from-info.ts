import { encode } from '../bencode/index.js';

/**
 * A .torrent file around an info dictionary fetched from peers (BEP 9), with the magnet link's
 * trackers. The info bytes are copied as they are, never re-encoded, so the file has the same
 * infohash even if the dictionary is not in canonical bencode.
 */
export function torrentFromInfo(info: Buffer, trackers: readonly (readonly string[])[]): Buffer {
  const tiers = trackers.filter((tier) => tier.length > 0);
  const parts: Buffer[] = [Buffer.from('d')];
  // Keys in sorted order: announce < announce-list < info.
  if (tiers.length > 0) parts.push(encode('announce'), encode(tiers[0]![0]!));
  if (tiers.length > 1 || (tiers.length === 1 && tiers[0]!.length > 1)) parts.push(encode('announce-list'), encode(tiers));
  parts.push(encode('info'), info, Buffer.from('e'));
  return Buffer.concat(parts);
}
