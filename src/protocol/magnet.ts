/**
 * Magnet links (BEP 9 `magnet:?xt=urn:btih:...`, BEP 53 `so=`). Decisions, where the BEPs are silent:
 * - Parameter keys are matched case-insensitively; `tr.1`/`xt.1` (numbered, from the old magnet draft)
 *   count as `tr`/`xt`. Unknown parameters are skipped without decoding them.
 * - Values are percent-decoded as UTF-8; a bad escape or invalid UTF-8 in a value we read is an error,
 *   as is an unpaired UTF-16 surrogate anywhere in the input string.
 *   '+' means a space in `dn` only (as browsers and libtorrent write names); elsewhere it is literal,
 *   since '+' is legal in URLs. '#' is not a fragment marker (links in the wild carry raw '#' in dn).
 * - `dn`: the first non-empty one wins. It is untrusted display text, not a safe file name.
 * - Trackers keep http, https, udp, ws and wss URLs (ws/wss so WebTorrent links survive a round trip;
 *   the engine itself only announces over http(s) and udp). Other schemes and URLs holding control
 *   characters are dropped silently: one odd tracker shouldn't make the whole link unusable. Spaces
 *   are kept (libtorrent writes web seeds like "https://host/a file.iso" decoded).
 *   Web seeds keep http(s) only. Both are de-duplicated by exact text, first occurrence kept.
 * - `x.pe` peers are strict: any malformed address is an error. Repeats are dropped.
 * - `urn:btmh` (v2) alone is refused; next to a btih (hybrid torrent) the btih is used.
 */
import { MagnetError, quote } from './magnet/error.js';
import { parseBtih } from './magnet/info-hash.js';
import { percentDecode, percentEncode } from './magnet/percent.js';
import { parsePeerAddress, type PeerAddress } from './magnet/peer-address.js';
import { formatSelectOnly, parseSelectOnly } from './magnet/select-only.js';
import { formatAddress } from '../util/socket-address.js';

export { MagnetError, type MagnetErrorCode } from './magnet/error.js';
export { encodeBase32 } from './magnet/info-hash.js';
export type { PeerAddress } from './magnet/peer-address.js';
export { MAX_SELECT_ONLY_COUNT, MAX_SELECT_ONLY_INDEX } from './magnet/select-only.js';

/** Longest magnet link we read (UTF-16 code units); real ones are well under 4 KiB. */
export const MAX_MAGNET_LENGTH = 64 * 1024;

export interface Magnet {
  infoHash: Buffer;
  /** Lowercase hex of `infoHash`. */
  infoHashHex: string;
  name?: string;
  trackers: string[];
  peers: PeerAddress[];
  webSeeds: string[];
  /** BEP 53 file indices, ascending, no repeats; absent when the link has no `so`. */
  selectOnly?: number[];
}

/** What formatMagnet needs: a Magnet, or anything with an info-hash and some of the optional parts. */
export interface MagnetFields {
  infoHash: Uint8Array;
  name?: string | undefined;
  trackers?: readonly string[];
  peers?: readonly PeerAddress[];
  webSeeds?: readonly string[];
  selectOnly?: readonly number[] | undefined;
}

const TRACKER_URL = /^(?:https?|udp|wss?):\/\/[^/?#]+/i;
const WEB_SEED_URL = /^https?:\/\/[^/?#]+/i;
const CONTROL = /[\x00-\x1f\x7f]/;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUMBERED_KEY = /^(xt|tr)\.[0-9]+$/;

function keepUrl(into: Set<string>, url: string, allowed: RegExp): void {
  if (allowed.test(url) && !CONTROL.test(url)) into.add(url);
}

export function parseMagnet(uri: string): Magnet {
  if (typeof uri !== 'string') throw new MagnetError('not-a-magnet', 'magnet link must be a string');
  if (uri.length > MAX_MAGNET_LENGTH) {
    throw new MagnetError('too-long', `magnet link is ${uri.length} characters, more than the ${MAX_MAGNET_LENGTH} allowed`);
  }
  if (UNPAIRED_SURROGATE.test(uri)) {
    throw new MagnetError('invalid-utf8', 'magnet link contains an unpaired UTF-16 surrogate');
  }
  // Pasted links often carry a trailing newline.
  const text = uri.trim();
  if (!/^magnet:\?/i.test(text)) {
    throw new MagnetError('not-a-magnet', `not a magnet link: ${quote(text, 20)} does not start with "magnet:?"`);
  }

  let infoHash: Buffer | undefined;
  let sawV2 = false;
  let name: string | undefined;
  const trackers = new Set<string>();
  const webSeeds = new Set<string>();
  const peers = new Map<string, PeerAddress>();
  const selectOnly: string[] = [];

  for (const param of text.slice('magnet:?'.length).split('&')) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const rawKey = (eq < 0 ? param : param.slice(0, eq)).toLowerCase();
    const key = NUMBERED_KEY.exec(rawKey)?.[1] ?? rawKey;
    const raw = eq < 0 ? '' : param.slice(eq + 1);
    switch (key) {
      case 'xt': {
        const topic = percentDecode(raw, 'xt');
        const urn = topic.slice(0, 9).toLowerCase();
        if (urn === 'urn:btih:') {
          const hash = parseBtih(topic.slice(9));
          if (infoHash && !infoHash.equals(hash)) {
            throw new MagnetError(
              'conflicting-info-hash',
              `magnet link names two different info-hashes (${infoHash.toString('hex')} and ${hash.toString('hex')})`,
            );
          }
          infoHash = hash;
        } else if (urn === 'urn:btmh:') {
          sawV2 = true;
        }
        break;
      }
      case 'dn': {
        const decoded = percentDecode(raw, 'dn', true);
        if (name === undefined && decoded !== '') name = decoded;
        break;
      }
      case 'tr':
        keepUrl(trackers, percentDecode(raw, 'tr'), TRACKER_URL);
        break;
      case 'ws':
        keepUrl(webSeeds, percentDecode(raw, 'ws'), WEB_SEED_URL);
        break;
      case 'x.pe': {
        const peer = parsePeerAddress(percentDecode(raw, 'x.pe'));
        const id = formatAddress(peer.host, peer.port);
        if (!peers.has(id)) peers.set(id, peer);
        break;
      }
      case 'so':
        selectOnly.push(percentDecode(raw, 'so'));
        break;
      default:
        break;
    }
  }

  if (!infoHash) {
    if (sawV2) throw new MagnetError('v2-unsupported', 'v2 magnet links (urn:btmh) are not supported yet');
    throw new MagnetError('missing-info-hash', 'magnet link has no BitTorrent info-hash (xt=urn:btih:...)');
  }
  const magnet: Magnet = {
    infoHash,
    infoHashHex: infoHash.toString('hex'),
    trackers: [...trackers],
    peers: [...peers.values()],
    webSeeds: [...webSeeds],
  };
  if (name !== undefined) magnet.name = name;
  if (selectOnly.length > 0) magnet.selectOnly = parseSelectOnly(selectOnly);
  return magnet;
}

/**
 * `magnet:?xt=urn:btih:<lowercase hex>&dn=...&tr=...&ws=...&x.pe=...&so=...` (libtorrent's order),
 * values percent-encoded as UTF-8 with only RFC 3986 unreserved characters left bare, so '+' and ' '
 * are never ambiguous (unpaired surrogates become U+FFFD). Empty name and empty selectOnly are left
 * out. Throws MagnetError for a hash that isn't 20 bytes, a peer parseMagnet would refuse, or a bad
 * file index.
 */
export function formatMagnet(m: MagnetFields): string {
  if (!(m.infoHash instanceof Uint8Array) || m.infoHash.length !== 20) {
    throw new MagnetError('invalid-info-hash', 'magnet info-hash must be 20 bytes');
  }
  const parts = [`xt=urn:btih:${Buffer.from(m.infoHash).toString('hex')}`];
  if (m.name) parts.push(`dn=${percentEncode(m.name)}`);
  for (const tracker of m.trackers ?? []) parts.push(`tr=${percentEncode(tracker)}`);
  for (const seed of m.webSeeds ?? []) parts.push(`ws=${percentEncode(seed)}`);
  for (const peer of m.peers ?? []) {
    const text = formatAddress(peer.host, peer.port);
    const reread = parsePeerAddress(text);
    if (reread.host !== peer.host || reread.port !== peer.port) {
      throw new MagnetError('invalid-peer', `invalid magnet peer ${quote(text)}`);
    }
    // Written raw, as libtorrent does: a valid address holds nothing that needs escaping.
    parts.push(`x.pe=${text}`);
  }
  if (m.selectOnly && m.selectOnly.length > 0) parts.push(`so=${formatSelectOnly(m.selectOnly)}`);
  return `magnet:?${parts.join('&')}`;
}
