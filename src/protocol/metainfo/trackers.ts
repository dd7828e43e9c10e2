import { type BDict, type BValue, isBDict } from '../bencode/index.js';

/**
 * BEP 12: when `announce-list` holds at least one URL it replaces `announce`. URLs are trimmed
 * (torrents in the wild carry stray whitespace), empty and repeated ones dropped, and entries of the
 * wrong type skipped with a warning: trackers live outside the info dictionary, so a bad one must not
 * make the torrent unusable.
 */
export function readAnnounceTiers(root: BDict, warnings: string[]): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  const list = root['announce-list'];
  if (Array.isArray(list)) {
    for (const tier of list) {
      if (!Array.isArray(tier)) {
        warnings.push('announce-list has a tier that is not a list; ignored');
        continue;
      }
      const urls = tier.map((u) => readUrl(u, seen, warnings)).filter((u): u is string => u !== undefined);
      if (urls.length) tiers.push(urls);
    }
  } else if (list !== undefined) {
    warnings.push('announce-list is not a list; ignored');
  }
  if (tiers.length === 0 && root['announce'] !== undefined) {
    const url = readUrl(root['announce'], seen, warnings);
    if (url) tiers.push([url]);
  }
  return tiers;
}

/** BEP 19 `url-list`: one URL or a list of them. */
export function readUrlList(root: BDict, warnings: string[]): string[] {
  const value = root['url-list'];
  const seen = new Set<string>();
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.map((u) => readUrl(u, seen, warnings)).filter((u): u is string => u !== undefined);
}

/** BEP 5 `nodes`: a list of [host, port] pairs. */
export function readNodes(root: BDict, warnings: string[]): { host: string; port: number }[] {
  const value = root['nodes'];
  if (value === undefined) return [];
  const nodes: { host: string; port: number }[] = [];
  for (const node of Array.isArray(value) ? value : []) {
    const [host, port] = Array.isArray(node) ? node : [];
    if (Buffer.isBuffer(host) && typeof port === 'number' && port > 0 && port < 65536) {
      nodes.push({ host: host.toString('utf8'), port });
    } else {
      warnings.push('nodes has an entry that is not [host, port]; ignored');
    }
  }
  return nodes;
}

function readUrl(value: BValue, seen: Set<string>, warnings: string[]): string | undefined {
  if (!Buffer.isBuffer(value)) {
    warnings.push(`ignored a tracker or web seed entry that is not a string${isBDict(value) ? ' (a dictionary)' : ''}`);
    return undefined;
  }
  const url = value.toString('utf8').trim();
  if (url === '' || seen.has(url)) return undefined;
  seen.add(url);
  return url;
}
