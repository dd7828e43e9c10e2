import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { seededRng } from '../../../src/env/rng.js';
import {
  buildAnnounceUrl,
  buildScrapeUrl,
  decodeCompactPeers,
  decodeCompactPeers6,
  decodeUdpAnnounceRequest,
  decodeUdpAnnounceResponse,
  decodeUdpConnectRequest,
  decodeUdpConnectResponse,
  decodeUdpErrorResponse,
  decodeUdpRequest,
  decodeUdpResponse,
  decodeUdpScrapeRequest,
  decodeUdpScrapeResponse,
  encodeAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  encodeUdpAnnounceRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectRequest,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpScrapeRequest,
  encodeUdpScrapeResponse,
  normalizeHost,
  parseAnnounceQuery,
  parseAnnounceResponse,
  parseScrapeQuery,
  parseScrapeResponse,
  percentDecode,
  scrapeUrlFor,
} from '../../../src/protocol/tracker/index.js';

/*
 * Seeded fuzzing of every tracker decoder: random bytes and mutations of valid packets. The only
 * thing asserted is that a decoder returns or throws a ProtocolError: nothing else may escape.
 */

const SEED = 0x7a11c0de;
const ROUNDS = 120_000;


const random = seededRng(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
const hash = (b: number): Buffer => Buffer.alloc(20, b);

const peers4 = [{ host: '127.0.0.1', port: 6881 }, { host: '10.0.0.2', port: 1 }];
const peers6 = [{ host: '::1', port: 6881 }, { host: '2001:db8::7', port: 2 }];

const httpSeeds: Buffer[] = [
  encodeAnnounceResponse({ interval: 1800, minInterval: 60, complete: 1, incomplete: 2, trackerId: Buffer.from('t'), warning: 'w', peers: [...peers4, ...peers6] }, { compact: true }),
  encodeAnnounceResponse({ interval: 900, peers: [...peers4, { host: 'x.example', port: 3, peerId: hash(5) }] }, { compact: false }),
  encodeFailure('nope'),
  encodeScrapeResponse(new Map([[hash(1).toString('hex'), { complete: 1, downloaded: 2, incomplete: 3 }], [hash(2).toString('hex'), { complete: 0, downloaded: 0, incomplete: 0 }]])),
  Buffer.from('d5:peers6:\x7f\x00\x00\x01\x1a\xe18:intervali1800ee\n', 'latin1'),
];

const base = { infoHash: Buffer.from('00ff2526263d3f2b20417a7e2d2e5f80c0e1f2aa', 'hex'), peerId: Buffer.from('-LT2080-abcdefghijkl'), port: 6881, uploaded: 1, downloaded: 2, left: 3 };
const querySeeds: string[] = [
  buildAnnounceUrl('http://t/announce', { ...base, event: 'started', numwant: 50, key: 'k', trackerId: 'x', ip: '1.2.3.4' }),
  buildAnnounceUrl('http://t/announce?passkey=1', { ...base, compact: false }),
  buildScrapeUrl('http://t/scrape', [hash(1), hash(0xff)]),
].map((url) => url.slice(url.indexOf('?') + 1));

const announce = {
  connectionId: 0x0102030405060708n, transactionId: 77, infoHash: hash(3), peerId: hash(4),
  downloaded: 5, left: 6, uploaded: 7, event: 'completed' as const, key: 8, numWant: 9, port: 10, ip: '1.2.3.4',
};
const udpSeeds: Buffer[] = [
  encodeUdpConnectRequest({ transactionId: 1 }),
  encodeUdpAnnounceRequest(announce),
  Buffer.concat([encodeUdpAnnounceRequest(announce), Buffer.from([2, 9, ...Buffer.from('/announce'), 0])]),
  encodeUdpScrapeRequest({ connectionId: 1n, transactionId: 2, infoHashes: [hash(1), hash(2)] }),
  encodeUdpConnectResponse({ transactionId: 1, connectionId: 99n }),
  encodeUdpAnnounceResponse({ transactionId: 3, interval: 60, leechers: 1, seeders: 2, peers: peers4 }, 'IPv4'),
  encodeUdpAnnounceResponse({ transactionId: 3, interval: 60, leechers: 1, seeders: 2, peers: peers6 }, 'IPv6'),
  encodeUdpScrapeResponse({ transactionId: 4, stats: [{ complete: 1, downloaded: 2, incomplete: 3 }] }),
  encodeUdpErrorResponse({ transactionId: 5, message: 'bad' }),
];

const INTERESTING = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x30, 0x3a, 0x64, 0x65, 0x69, 0x6c, 0x2d];
const INTERESTING32 = [0, 1, 2, 3, 4, -1, 0x7fffffff, 0x80000000, 0xffffffff];
const BENCODE_SNIPPETS = ['i-1e', 'i0e', 'i99999999999999999999e', 'le', 'de', '0:', '5:peers', '8:interval', 'd', 'l', 'e', '4294967296:', 'i2147483648e', '6:peers6'];

function mutateBytes(seed: Buffer, text: boolean): Buffer {
  let buf = Buffer.from(seed);
  const steps = 1 + int(4);
  for (let s = 0; s < steps; s++) {
    const at = buf.length === 0 ? 0 : int(buf.length);
    switch (int(8)) {
      case 0: // flip a bit
        if (buf.length) buf[at] = buf[at]! ^ (1 << int(8));
        break;
      case 1: // interesting byte
        if (buf.length) buf[at] = pick(INTERESTING);
        break;
      case 2: // truncate
        buf = buf.subarray(0, at);
        break;
      case 3: // delete a range
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + int(8))]);
        break;
      case 4: // duplicate a range
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + 1 + int(24)), buf.subarray(at)]);
        break;
      case 5: // insert random bytes or a bencode snippet
        buf = Buffer.concat([
          buf.subarray(0, at),
          text ? Buffer.from(pick(BENCODE_SNIPPETS), 'latin1') : Buffer.from(Array.from({ length: 1 + int(6) }, () => int(256))),
          buf.subarray(at),
        ]);
        break;
      case 6: // interesting 32-bit value at a 4-byte boundary (UDP fields)
        if (buf.length >= 4) buf.writeInt32BE(pick(INTERESTING32) | 0, 4 * int(Math.floor(buf.length / 4)));
        break;
      default: // splice in another seed
        buf = Buffer.concat([buf.subarray(0, at), pick(text ? httpSeeds : udpSeeds).subarray(int(40))]);
    }
  }
  return buf;
}

function randomBytes(max: number): Buffer {
  return Buffer.from(Array.from({ length: int(max) }, () => int(256)));
}

const QUERY_CHARS = ['%', '&', '=', '+', '?', 'A', 'f', '0', '9', 'G', '\xff', '\u0100', '\u{1f600}', 'info_hash', 'peer_id', 'port', 'left'];
function mutateQuery(seed: string): string {
  let q = seed;
  const steps = 1 + int(4);
  for (let s = 0; s < steps; s++) {
    const at = int(q.length + 1);
    const r = int(3);
    if (r === 0) q = q.slice(0, at) + pick(QUERY_CHARS) + q.slice(at);
    else if (r === 1) q = q.slice(0, at) + q.slice(at + 1 + int(6));
    else q = q.slice(0, at) + q.slice(int(q.length));
  }
  return q;
}

type Decoder = (input: Buffer) => unknown;
const udpDecoders: Decoder[] = [
  decodeUdpRequest,
  (b) => decodeUdpResponse(b, 'IPv4'),
  (b) => decodeUdpResponse(b, 'IPv6'),
  decodeUdpConnectRequest,
  decodeUdpAnnounceRequest,
  decodeUdpScrapeRequest,
  decodeUdpConnectResponse,
  (b) => decodeUdpAnnounceResponse(b, 'IPv4'),
  (b) => decodeUdpAnnounceResponse(b, 'IPv6'),
  decodeUdpScrapeResponse,
  decodeUdpErrorResponse,
  decodeCompactPeers,
  decodeCompactPeers6,
];
const httpDecoders: Decoder[] = [parseAnnounceResponse, parseScrapeResponse];
const stringDecoders: ((s: string) => unknown)[] = [parseAnnounceQuery, parseScrapeQuery, percentDecode, scrapeUrlFor, normalizeHost];

test(`fuzz: ${ROUNDS} random and mutated inputs; only ProtocolErrors escape (seed ${SEED})`, () => {
  const outcomes = { ok: 0, rejected: 0 };
  const run = (name: string, input: Buffer | string, decoder: (x: never) => unknown): void => {
    try {
      decoder(input as never);
      outcomes.ok++;
    } catch (err) {
      if (!(err instanceof ProtocolError)) {
        const shown = typeof input === 'string' ? JSON.stringify(input) : input.toString('hex');
        assert.fail(`${name} threw ${String(err)} on ${shown}`);
      }
      outcomes.rejected++;
    }
  };
  for (let i = 0; i < ROUNDS; i++) {
    switch (i % 4) {
      case 0: {
        const input = int(4) === 0 ? randomBytes(120) : mutateBytes(pick(udpSeeds), false);
        for (const d of udpDecoders) run('udp', input, d);
        break;
      }
      case 1: {
        const input = int(8) === 0 ? randomBytes(80) : mutateBytes(pick(httpSeeds), true);
        for (const d of httpDecoders) run('http', input, d);
        break;
      }
      case 2: {
        const input = mutateQuery(pick(querySeeds));
        for (const d of stringDecoders) run('query', input, d);
        break;
      }
      default: {
        const input = mutateQuery(pick(['http://t/announce?x=1', 'https://a.b:1/x/announce.php', '[::1]', '1.2.3.4', 'host.example']));
        for (const d of stringDecoders) run('url', input, d);
      }
    }
  }
  // Both outcomes must be common, or the mutations are not reaching the decoders' interesting paths.
  assert.ok(outcomes.ok > ROUNDS / 10, `only ${outcomes.ok} inputs decoded`);
  assert.ok(outcomes.rejected > ROUNDS / 10, `only ${outcomes.rejected} inputs rejected`);
});
