import { decode, isBDict, type BDict } from '../../src/protocol/bencode/index.js';
import { percentEncode } from '../../src/protocol/tracker/index.js';
import type { TrackerHttpReply } from '../../src/protocol/tracker/index.js';
import { handleHttpRequest } from '../../src/tracker/http-routes.js';
import type { TrackerConfig } from '../../src/tracker/tracker-config.js';
import { TrackerCore } from '../../src/tracker/tracker-core.js';
import { handleDatagram } from '../../src/tracker/udp-routes.js';
import { hash, peerId, seededRng } from './registry-helpers.js';

/** A TrackerCore for handler tests: fixed secret, seeded rng. */
export function core(config: Partial<TrackerConfig> = {}): TrackerCore {
  return new TrackerCore(config, Buffer.alloc(32, 9), seededRng(11));
}

export interface AnnounceParams {
  torrent?: number;
  peer?: number;
  port?: number;
  left?: number;
  event?: string;
  extra?: string;
}

/** The query of an HTTP announce, as a client would send it. */
export function announceQuery(p: AnnounceParams = {}): string {
  const parts = [
    `info_hash=${percentEncode(hash(p.torrent ?? 1))}`,
    `peer_id=${percentEncode(peerId(p.peer ?? 1))}`,
    `port=${p.port ?? 6881}`,
    'uploaded=0',
    'downloaded=0',
    `left=${p.left ?? 100}`,
  ];
  if (p.event) parts.push(`event=${p.event}`);
  if (p.extra) parts.push(p.extra);
  return parts.join('&');
}

export function get(c: TrackerCore, url: string, from = '127.0.0.1', now = 0): TrackerHttpReply {
  return handleHttpRequest(c, { method: 'GET', url, remoteAddress: from, remotePort: 50_000 }, now);
}

/** GET and decode a bencoded body (every tracker reply is one, failures included). */
export function getDict(c: TrackerCore, url: string, from = '127.0.0.1', now = 0): BDict {
  const reply = get(c, url, from, now);
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
  const value = decode(reply.body, { mode: 'strict' });
  if (!isBDict(value)) throw new Error('not a dictionary');
  return value;
}

export function udp(c: TrackerCore, data: Buffer, address = '127.0.0.1', port = 40_000, now = 0): Buffer | undefined {
  return handleDatagram(c, { data, address, port }, now);
}
