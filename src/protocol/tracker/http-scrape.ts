import { TrackerError } from './errors.js';
import { decodeReplyBody, ReplyFields } from './http-body.js';
import type { TrackerFailure } from './http-announce.js';
import { appendQuery, checkHttpUrl, joinQuery, percentEncode } from './query.js';
import type { ScrapeStats } from './types.js';
import { checkHash } from './validate.js';
import { isBDict } from '../bencode/index.js';

/**
 * The scrape URL by the BEP 48 convention: only when the last path segment starts with `announce`
 * is that word replaced by `scrape` (`/x/announce.php?passkey=1` → `/x/scrape.php?passkey=1`).
 * Undefined when the tracker has no scrape URL by this convention, or the URL is not http(s).
 */
export function scrapeUrlFor(announceUrl: string): string | undefined {
  const match = /^(https?:\/\/[^/?#]*)([^?#]*)(.*)$/is.exec(announceUrl);
  if (!match) return undefined;
  const [, origin, path, rest] = match as unknown as [string, string, string, string];
  const slash = path.lastIndexOf('/');
  if (slash === -1) return undefined;
  const last = path.slice(slash + 1);
  if (!last.startsWith('announce')) return undefined;
  return `${origin}${path.slice(0, slash + 1)}scrape${last.slice('announce'.length)}${rest}`;
}

/** A scrape URL asking about each infohash (repeated `info_hash`, BEP 48). */
export function buildScrapeUrl(scrapeUrl: string, infoHashes: readonly Uint8Array[]): string {
  checkHttpUrl(scrapeUrl);
  infoHashes.forEach((h, i) => checkHash(h, `infoHashes[${i}]`));
  return appendQuery(scrapeUrl, joinQuery(infoHashes.map((h) => ['info_hash', percentEncode(h)])));
}

export interface ScrapeSuccess {
  type: 'success';
  /** Keyed by the infohash in lowercase hex. */
  files: Map<string, ScrapeStats>;
}

export type HttpScrapeResult = ScrapeSuccess | TrackerFailure;

/**
 * Parses an HTTP scrape reply (BEP 48). A counter a tracker leaves out reads as 0 (some omit
 * `downloaded`); a counter of the wrong type is an error.
 */
export function parseScrapeResponse(body: Uint8Array): HttpScrapeResult {
  const dict = decodeReplyBody(body, 'scrape reply');
  const reason = new ReplyFields(dict, 'scrape reply').text('failure reason');
  if (reason !== undefined) return { type: 'failure', reason };
  const files = dict['files'];
  if (!isBDict(files)) throw new TrackerError('invalid-files', 'scrape reply has no files dictionary');
  const result = new Map<string, ScrapeStats>();
  for (const [key, value] of Object.entries(files)) {
    const hash = Buffer.from(key, 'latin1');
    if (hash.length !== 20) throw new TrackerError('invalid-files', `scrape reply key of ${hash.length} bytes is not an infohash`);
    const hex = hash.toString('hex');
    if (!isBDict(value)) throw new TrackerError('invalid-files', `files[${hex}] is not a dictionary`);
    const stats = new ReplyFields(value, `files[${hex}]`);
    result.set(hex, {
      complete: stats.count('complete') ?? 0,
      downloaded: stats.count('downloaded') ?? 0,
      incomplete: stats.count('incomplete') ?? 0,
    });
  }
  return { type: 'success', files: result };
}
