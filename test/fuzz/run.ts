/**
 * `npm run fuzz [-- --count N --seed S --only NAME[,NAME]]`: every decoder of src/protocol fed
 * random bytes and stacked byte-level mutations of valid samples (test/support/fuzz.ts), 10^6
 * inputs each by default. Per decoder: inputs, rejected (ProtocolError), slowest input, heap growth.
 * Exits non-zero if any decoder throws anything but a ProtocolError or one input exceeds the
 * per-input time limit (`--per-input-ms`, default 250). Run with `node --expose-gc` for exact heap figures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decode, decodeDocument, encode } from '../../src/protocol/bencode/index.js';
import { decodeLsdAnnounce, encodeLsdAnnounce } from '../../src/protocol/lsd.js';
import { decodeKrpc, encodeKrpc } from '../../src/protocol/krpc/index.js';
import {
  decodeExtendedHandshake,
  decodeMetadataMessage,
  decodePexMessage,
  encodeExtendedHandshake,
  encodeMetadataMessage,
  encodePexMessage,
} from '../../src/protocol/extension/index.js';
import { parseMagnet } from '../../src/protocol/magnet.js';
import { parseTorrent } from '../../src/protocol/metainfo/index.js';
import {
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
  buildAnnounceUrl,
  buildScrapeUrl,
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
  parseAnnounceQuery,
  parseAnnounceResponse,
  parseScrapeQuery,
  parseScrapeResponse,
} from '../../src/protocol/tracker/index.js';
import {
  FrameDecoder,
  type PeerMessage,
  checkHandshakePrefix,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
} from '../../src/protocol/wire/index.js';
import { type FuzzReport, fuzzDecoder } from '../support/fuzz.js';
import { mseTargets } from './mse-targets.js';
import { utpTargets } from './utp-targets.js';

interface Target {
  name: string;
  samples: Buffer[];
  decoder: (input: Buffer) => unknown;
  maxRandomLength?: number;
}

const hash = (b: number) => Buffer.alloc(20, b);
const latin1 = (s: string) => Buffer.from(s, 'latin1');

const corpusDir = fileURLToPath(new URL('../fixtures/libtorrent-test-torrents/', import.meta.url));
const torrents = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.torrent'))
  .map((f) => readFileSync(corpusDir + f));

const bencodeSamples = [
  encode({ a: 1, b: [1, 2, 'three', { c: Buffer.alloc(3) }], d: -42, e: 2n ** 70n }),
  latin1('d1:ai-0ee'), latin1('le'), latin1('i0e'), latin1('4:spam'), latin1('d3:cow3:moo4:spam4:eggse'),
  ...torrents.slice(0, 6),
];

const magnets = [
  'magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Cosmos+Laundromat&tr=udp%3A%2F%2Fexplodie.org%3A6969&tr=http%3A%2F%2Ft%2Fa&ws=http%3A%2F%2Fw%2Ff',
  'magnet:?xt=urn:btih:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U&x.pe=10.0.0.1:6881&x.pe=[::1]:6881',
  'magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&so=0,2,4-6',
  'magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&dn=%E2%9C%93',
].map(latin1);

const messages: PeerMessage[] = [
  { type: 'keep-alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' }, { type: 'not-interested' },
  { type: 'have', index: 7 }, { type: 'bitfield', bitfield: Buffer.from([0xff, 0x80]) },
  { type: 'request', index: 1, begin: 16384, length: 16384 }, { type: 'piece', index: 1, begin: 0, block: Buffer.alloc(40, 9) },
  { type: 'cancel', index: 1, begin: 0, length: 16384 }, { type: 'port', port: 6881 }, { type: 'suggest', index: 3 },
  { type: 'have-all' }, { type: 'have-none' }, { type: 'reject', index: 2, begin: 0, length: 16384 }, { type: 'allowed-fast', index: 4 },
  { type: 'extended', id: 0, payload: encode({ m: { ut_metadata: 1, ut_pex: 2 }, v: 'actorrent 0.1', reqq: 250, metadata_size: 31337 }) },
  { type: 'extended', id: 1, payload: encode({ msg_type: 1, piece: 0, total_size: 31337 }) },
];
const frames = messages.map((m) => encodeMessage(m));
const handshake = encodeHandshake({ infoHash: hash(1), peerId: latin1('-AC0001-abcdefghijkl'), flags: { extensionProtocol: true, fastExtension: true, dht: true } });
const streams = [Buffer.concat(frames), Buffer.concat([handshake, ...frames.slice(0, 8)]), ...frames];

const peers4 = [{ host: '127.0.0.1', port: 6881 }, { host: '10.0.0.2', port: 1 }];
const peers6 = [{ host: '::1', port: 6881 }, { host: '2001:db8::7', port: 2 }];
const httpResponses = [
  encodeAnnounceResponse({ interval: 1800, minInterval: 60, complete: 1, incomplete: 2, trackerId: Buffer.from('t'), warning: 'w', peers: [...peers4, ...peers6] }, { compact: true }),
  encodeAnnounceResponse({ interval: 900, peers: [...peers4, { host: 'x.example', port: 3, peerId: hash(5) }] }, { compact: false }),
  encodeFailure('nope'),
];
const scrapeResponses = [
  encodeScrapeResponse(new Map([[hash(1).toString('hex'), { complete: 1, downloaded: 2, incomplete: 3 }], [hash(2).toString('hex'), { complete: 0, downloaded: 0, incomplete: 0 }]])),
];
const base = { infoHash: Buffer.from('00ff2526263d3f2b20417a7e2d2e5f80c0e1f2aa', 'hex'), peerId: latin1('-LT2080-abcdefghijkl'), port: 6881, uploaded: 1, downloaded: 2, left: 3 };
const query = (url: string) => latin1(url.slice(url.indexOf('?') + 1));
const announceQueries = [
  query(buildAnnounceUrl('http://t/announce', { ...base, event: 'started', numwant: 50, key: 'k', trackerId: 'x', ip: '1.2.3.4' })),
  query(buildAnnounceUrl('http://t/announce?passkey=1', { ...base, compact: false })),
];
const scrapeQueries = [query(buildScrapeUrl('http://t/scrape', [hash(1), hash(0xff)]))];

const announce = {
  connectionId: 0x0102030405060708n, transactionId: 77, infoHash: hash(3), peerId: hash(4),
  downloaded: 5, left: 6, uploaded: 7, event: 'completed' as const, key: 8, numWant: 9, port: 10, ip: '1.2.3.4',
};
const udpRequests = [
  encodeUdpConnectRequest({ transactionId: 1 }),
  encodeUdpAnnounceRequest(announce),
  Buffer.concat([encodeUdpAnnounceRequest(announce), Buffer.from([2, 9, ...Buffer.from('/announce'), 0])]),
  encodeUdpScrapeRequest({ connectionId: 1n, transactionId: 2, infoHashes: [hash(1), hash(2)] }),
];
const udpResponses = [
  encodeUdpConnectResponse({ transactionId: 1, connectionId: 99n }),
  encodeUdpAnnounceResponse({ transactionId: 3, interval: 60, leechers: 1, seeders: 2, peers: peers4 }, 'IPv4'),
  encodeUdpAnnounceResponse({ transactionId: 3, interval: 60, leechers: 1, seeders: 2, peers: peers6 }, 'IPv6'),
  encodeUdpScrapeResponse({ transactionId: 4, stats: [{ complete: 1, downloaded: 2, incomplete: 3 }] }),
  encodeUdpErrorResponse({ transactionId: 5, message: 'bad' }),
];

const lsdAnnounces = [
  encodeLsdAnnounce({ family: 'IPv4', port: 6881, infoHashes: [hash(1).toString('hex')], cookie: '5d2a1b3c' }),
  encodeLsdAnnounce({ family: 'IPv6', port: 51413, infoHashes: [hash(2).toString('hex'), hash(3).toString('hex')] }),
  latin1(`bt-search * HTTP/1.0\nport:1\nINFOHASH: ${hash(4).toString('hex')}\ncookie: x\n`),
];

const extendedHandshakes = [
  encodeExtendedHandshake({ m: { ut_metadata: 2, ut_pex: 1 }, client: 'actorrent 0.1', listenPort: 6881, requestQueue: 250, yourIp: Buffer.from([127, 0, 0, 1]), metadataSize: 31337 }),
  encodeExtendedHandshake({ m: { ut_pex: 1, lt_donthave: 7 }, yourIp: Buffer.alloc(16, 1), completeAgo: -1, uploadOnly: true }),
  latin1('d1:md11:ut_metadatai3ee1:ei1e1:pi51413e1:v13:libtorrent 2.e'),
];
const metadataMessages = [
  encodeMetadataMessage({ type: 'request', piece: 0 }),
  encodeMetadataMessage({ type: 'reject', piece: 3 }),
  encodeMetadataMessage({ type: 'data', piece: 1, totalSize: 16384 + 40, data: Buffer.alloc(40, 7) }),
];
const pexMessages = [
  encodePexMessage({ added: [...peers4, ...peers6].map((p, i) => ({ ...p, flags: i * 5 })), dropped: [{ host: '10.0.0.9', port: 9 }, { host: '::2', port: 3 }] }),
  latin1('d5:added6:\x7f\x00\x00\x01\x1a\xe17:added.f1:\x106:added60:8:added6.f0:7:dropped0:8:dropped60:e'),
];

const krpcMessages = [
  encodeKrpc({ y: 'q', t: latin1('aa'), query: { method: 'ping', id: hash(1) }, readOnly: true }),
  encodeKrpc({ y: 'q', t: latin1('ab'), query: { method: 'find_node', id: hash(1), target: hash(2) } }),
  encodeKrpc({ y: 'q', t: latin1('ac'), query: { method: 'get_peers', id: hash(1), infoHash: hash(3) } }),
  encodeKrpc({ y: 'q', t: latin1('ad'), query: { method: 'announce_peer', id: hash(1), infoHash: hash(3), port: 6881, impliedPort: true, token: latin1('tok'), seed: true } }),
  encodeKrpc({
    y: 'r',
    t: latin1('ae'),
    response: { id: hash(4), nodes: [{ id: hash(5), host: '10.0.0.1', port: 6881 }], nodes6: [{ id: hash(6), host: '2001:db8::1', port: 1 }], values: [...peers4, ...peers6], token: latin1('x') },
    ip: { host: '192.0.2.1', port: 9 },
  }),
  encodeKrpc({ y: 'e', t: latin1('af'), code: 203, message: 'invalid token' }),
];

/** A stream cut in two chunks at a point chosen by the input itself, as a socket might deliver it. */
function frameStream(input: Buffer): void {
  const decoder = new FrameDecoder({ expectHandshake: false });
  const cut = input.length === 0 ? 0 : input[0]! % input.length;
  decoder.push(input.subarray(0, cut));
  decoder.push(input.subarray(cut));
}

export const targets: Target[] = [
  { name: 'bencode-strict', samples: bencodeSamples, decoder: (b) => decode(b, { mode: 'strict' }) },
  { name: 'bencode-lenient', samples: bencodeSamples, decoder: (b) => decodeDocument(b, { mode: 'lenient', recordSpans: true }) },
  { name: 'metainfo', samples: torrents, decoder: parseTorrent, maxRandomLength: 200 },
  { name: 'magnet', samples: magnets, decoder: (b) => parseMagnet(b.toString('latin1')), maxRandomLength: 120 },
  { name: 'wire-frames', samples: streams, decoder: frameStream },
  { name: 'wire-message', samples: frames, decoder: (b) => decodeMessage(b) },
  {
    name: 'handshake',
    samples: [handshake, Buffer.concat([handshake, frames[5]!])],
    decoder: (b) => {
      checkHandshakePrefix(b.subarray(0, 68));
      const stream = new FrameDecoder({ expectHandshake: true });
      stream.push(b);
      return b.length >= 68 ? decodeHandshake(b.subarray(0, 68)) : undefined;
    },
    maxRandomLength: 90,
  },
  {
    name: 'extended-payload',
    samples: frames.slice(-2),
    decoder: (b) => {
      const message = decodeMessage(b);
      return message.type === 'extended' ? decode(message.payload, { mode: 'lenient' }) : message;
    },
  },
  { name: 'extended-handshake', samples: extendedHandshakes, decoder: decodeExtendedHandshake },
  { name: 'ut-metadata', samples: metadataMessages, decoder: decodeMetadataMessage },
  { name: 'ut-pex', samples: pexMessages, decoder: (b) => decodePexMessage(b) },
  { name: 'http-announce-response', samples: httpResponses, decoder: parseAnnounceResponse },
  { name: 'http-scrape-response', samples: scrapeResponses, decoder: parseScrapeResponse },
  { name: 'http-announce-query', samples: announceQueries, decoder: (b) => parseAnnounceQuery(b.toString('latin1')), maxRandomLength: 160 },
  { name: 'http-scrape-query', samples: scrapeQueries, decoder: (b) => parseScrapeQuery(b.toString('latin1')), maxRandomLength: 160 },
  { name: 'compact-peers', samples: [Buffer.alloc(12, 1), Buffer.alloc(36, 2)], decoder: (b) => [decodeCompactPeers(b), decodeCompactPeers6(b)] },
  { name: 'udp-request (server)', samples: udpRequests, decoder: decodeUdpRequest, maxRandomLength: 120 },
  { name: 'udp-connect-request', samples: udpRequests, decoder: decodeUdpConnectRequest },
  { name: 'udp-announce-request', samples: udpRequests, decoder: decodeUdpAnnounceRequest, maxRandomLength: 120 },
  { name: 'udp-scrape-request', samples: udpRequests, decoder: decodeUdpScrapeRequest },
  { name: 'udp-response-v4 (client)', samples: udpResponses, decoder: (b) => decodeUdpResponse(b, 'IPv4'), maxRandomLength: 120 },
  { name: 'udp-response-v6 (client)', samples: udpResponses, decoder: (b) => decodeUdpResponse(b, 'IPv6'), maxRandomLength: 120 },
  { name: 'udp-connect-response', samples: udpResponses, decoder: decodeUdpConnectResponse },
  { name: 'udp-announce-response', samples: udpResponses, decoder: (b) => decodeUdpAnnounceResponse(b, 'IPv4') },
  { name: 'udp-scrape-response', samples: udpResponses, decoder: decodeUdpScrapeResponse },
  { name: 'udp-error-response', samples: udpResponses, decoder: decodeUdpErrorResponse },
  { name: 'lsd-announce', samples: lsdAnnounces, decoder: decodeLsdAnnounce, maxRandomLength: 200 },
  { name: 'krpc', samples: krpcMessages, decoder: decodeKrpc, maxRandomLength: 200 },
  ...mseTargets,
  ...utpTargets,
];

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): number {
  const count = Number(argument('count') ?? 1_000_000);
  const seed = Number(argument('seed') ?? 0xf022);
  const perInputMs = Number(argument('per-input-ms') ?? 250);
  const only = argument('only')?.split(',');
  const chosen = only ? targets.filter((t) => only.some((o) => t.name.includes(o))) : targets;
  if (chosen.length === 0 || !Number.isInteger(count) || count <= 0) {
    console.error(`nothing to run; decoders: ${targets.map((t) => t.name).join(', ')}`);
    return 2;
  }
  console.log(`fuzz: ${chosen.length} decoders × ${count} inputs, seed ${seed}, per-input limit ${perInputMs} ms${global.gc ? '' : ' (no --expose-gc: heap figures are approximate)'}`);
  console.log(`${'decoder'.padEnd(28)} ${'inputs'.padStart(9)} ${'rejected'.padStart(9)} ${'slowest ms'.padStart(10)} ${'heap Δ MiB'.padStart(10)} ${'secs'.padStart(6)}  result`);
  let failures = 0;
  for (const target of chosen) {
    const started = performance.now();
    let report: FuzzReport | undefined;
    let failure: string | undefined;
    try {
      report = fuzzDecoder({ seed, count, samples: target.samples, decoder: target.decoder, perInputMs, maxRandomLength: target.maxRandomLength });
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      failures++;
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const row = report
      ? `${String(report.inputs).padStart(9)} ${String(report.rejected).padStart(9)} ${report.slowestMs.toFixed(2).padStart(10)} ${(report.heapGrowthBytes / 1048576).toFixed(1).padStart(10)}`
      : `${'-'.padStart(9)} ${'-'.padStart(9)} ${'-'.padStart(10)} ${'-'.padStart(10)}`;
    console.log(`${target.name.padEnd(28)} ${row} ${secs.padStart(6)}  ${failure ? `FAIL: ${failure.slice(0, 500)}` : 'ok'}`);
  }
  console.log(failures ? `${failures} decoder(s) failed` : 'no crashes, no hangs');
  return failures ? 1 : 0;
}

// Run as a script (npm run fuzz); imported by the seeded share in `npm test`, it only exports the targets.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
