import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ProtocolError } from '../../src/protocol/errors.js';
import {
  encodeBase32,
  formatMagnet,
  MagnetError,
  MAX_MAGNET_LENGTH,
  MAX_SELECT_ONLY_COUNT,
  MAX_SELECT_ONLY_INDEX,
  parseMagnet,
  type Magnet,
  type MagnetErrorCode,
  type MagnetFields,
} from '../../src/protocol/magnet.js';
import { formattedCases } from '../fixtures/magnet/formatted-cases.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';

/** libtorrent's reading of a link, as make_golden.py writes it. */
interface Reading {
  infoHashHex: string | null;
  v2Hex: string | null;
  name: string | null;
  trackers: string[];
  peers: { host: string; port: number }[];
  webSeeds: string[];
  selectOnly: number[] | null;
  error?: string;
}
interface GoldenCase {
  label: string;
  uri: string;
  expect: Reading;
}

const fixtureUrl = (name: string) => new URL(`../fixtures/magnet/${name}`, import.meta.url);
const golden = JSON.parse(readFileSync(fixtureUrl('libtorrent.json'), 'utf8')) as { made: GoldenCase[]; written: GoldenCase[] };
const formatted = JSON.parse(readFileSync(fixtureUrl('actorrent-formatted.json'), 'utf8')) as {
  label: string;
  uri: string;
  libtorrent: Reading;
}[];

const HASH = '0123456789abcdef0123456789abcdef01234567';
const BASE = `magnet:?xt=urn:btih:${HASH}`;

/** Our Magnet in libtorrent's reading shape (without the v2 hash we don't keep). */
function asReading(m: Magnet): Omit<Reading, 'v2Hex' | 'error'> {
  return {
    infoHashHex: m.infoHashHex,
    name: m.name ?? null,
    trackers: m.trackers,
    peers: m.peers,
    webSeeds: m.webSeeds,
    selectOnly: m.selectOnly ?? null,
  };
}

function withoutV2(reading: Reading): Omit<Reading, 'v2Hex' | 'error'> {
  const { v2Hex: _v2, error: _error, ...rest } = reading;
  return rest;
}

/** What parseMagnet should return for the fields formatMagnet was given. */
function expected(fields: MagnetFields): Magnet {
  const infoHash = Buffer.from(fields.infoHash);
  const m: Magnet = {
    infoHash,
    infoHashHex: infoHash.toString('hex'),
    trackers: [...(fields.trackers ?? [])],
    peers: (fields.peers ?? []).map(({ host, port }) => ({ host, port })),
    webSeeds: [...(fields.webSeeds ?? [])],
  };
  if (fields.name) m.name = fields.name;
  if (fields.selectOnly?.length) m.selectOnly = [...new Set(fields.selectOnly)].sort((a, b) => a - b);
  return m;
}

function assertMagnetError(input: string, code: MagnetErrorCode, message?: RegExp): void {
  assert.throws(
    () => parseMagnet(input),
    (err: unknown) => {
      assert.ok(err instanceof MagnetError, `expected MagnetError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.doesNotMatch(err.message, /[\r\n]/);
      if (message) assert.match(err.message, message);
      return true;
    },
    `${JSON.stringify(input.slice(0, 120))} should fail with ${code}`,
  );
}

// --- golden links from libtorrent ---------------------------------------------------------------

for (const c of [...golden.made, ...golden.written]) {
  test(`libtorrent golden: ${c.label}`, () => {
    if (c.expect.infoHashHex === null) {
      assertMagnetError(c.uri, 'v2-unsupported', /^v2 magnet links \(urn:btmh\) are not supported yet$/);
      return;
    }
    assert.deepEqual(asReading(parseMagnet(c.uri)), withoutV2(c.expect));
  });
}

test('formatMagnet writes what libtorrent make_magnet_uri writes (v1 links, escapes compared uppercased)', () => {
  const v1Made = golden.made.filter((c) => c.expect.infoHashHex !== null && c.expect.v2Hex === null);
  assert.ok(v1Made.length >= 5);
  for (const c of v1Made) {
    const libtorrentUri = c.uri.replace(/%[0-9a-f]{2}/g, (escape) => escape.toUpperCase());
    assert.equal(formatMagnet(parseMagnet(c.uri)), libtorrentUri, c.label);
  }
});

test('formatMagnet output stored in actorrent-formatted.json is unchanged, and libtorrent read it back exactly', () => {
  assert.equal(formatted.length, formattedCases.length);
  for (const [i, c] of formattedCases.entries()) {
    const fields: MagnetFields = { ...c.input, infoHash: Buffer.from(c.input.infoHashHex, 'hex') };
    const stored = formatted[i]!;
    assert.equal(formatMagnet(fields), stored.uri, c.label);
    const ours = expected(fields);
    assert.deepEqual(parseMagnet(stored.uri), ours, c.label);
    assert.deepEqual(withoutV2(stored.libtorrent), asReading(ours), c.label);
  }
});

// --- parsing ------------------------------------------------------------------------------------

test('hex in any case and base32 in any case give the same 20 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
      const hex = Buffer.from(bytes).toString('hex');
      const b32 = encodeBase32(bytes);
      assert.equal(b32.length, 32);
      for (const form of [hex, hex.toUpperCase(), b32, b32.toLowerCase()]) {
        const m = parseMagnet(`magnet:?xt=urn:btih:${form}`);
        assert.deepEqual(m.infoHash, Buffer.from(bytes));
        assert.equal(m.infoHashHex, hex);
      }
    }),
    { numRuns: 300, seed: 9 },
  );
});

test('base32 matches RFC 4648 test vector and a known hash', () => {
  assert.equal(encodeBase32(Buffer.from('foobar')), 'MZXW6YTBOI');
  assert.equal(parseMagnet('magnet:?xt=urn:btih:BCW2LJ5GDA5K4HQJ3AY56Z2I2VTASWQQ').infoHashHex, '08ada5a7a6183aae1e09d831df6748d566095a10');
});

test("'+' is a space in dn only; %2B is always '+'", () => {
  const m = parseMagnet(`${BASE}&dn=a+b%2Bc&tr=http://t.example/a?k=a+b%2Bc&ws=http://w.example/a+b`);
  assert.equal(m.name, 'a b+c');
  assert.deepEqual(m.trackers, ['http://t.example/a?k=a+b+c']);
  assert.deepEqual(m.webSeeds, ['http://w.example/a+b']);
});

test('percent-decoding is UTF-8, raw non-ASCII passes through, and # is not a fragment', () => {
  assert.equal(parseMagnet(`${BASE}&dn=%E2%82%AC%20%f0%9f%98%80`).name, '€ 😀');
  assert.equal(parseMagnet(`${BASE}&dn=Tëst 日本`).name, 'Tëst 日本');
  assert.equal(parseMagnet(`${BASE}&dn=Track #1&tr=udp://t.example:1`).name, 'Track #1');
  assert.equal(parseMagnet(`${BASE}&dn=%EF%BB%BFbom`).name, '\uFEFFbom');
});

test('scheme and keys are case-insensitive, surrounding whitespace is trimmed, empty params skipped', () => {
  const m = parseMagnet(`  MAGNET:?XT=URN:BTIH:${HASH.toUpperCase()}&&DN=x&Tr=udp://t.example:1&&\n`);
  assert.equal(m.infoHashHex, HASH);
  assert.equal(m.name, 'x');
  assert.deepEqual(m.trackers, ['udp://t.example:1']);
});

test('xt may be percent-encoded; numbered tr.N and xt.N count; other URNs are ignored', () => {
  assert.equal(parseMagnet(`magnet:?xt=urn%3Abtih%3A${HASH}`).infoHashHex, HASH);
  assert.equal(parseMagnet(`magnet:?xt.1=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&xt.2=urn:btih:${HASH}`).infoHashHex, HASH);
  assert.deepEqual(parseMagnet(`${BASE}&tr.1=udp://a.example:1&tr.2=udp://b.example:2`).trackers, [
    'udp://a.example:1',
    'udp://b.example:2',
  ]);
});

test('unknown parameters are ignored, even with content we would refuse elsewhere', () => {
  const m = parseMagnet(`${BASE}&x.foo=%zz&xl=12&kt=a+b&as=%ff&xs=http://x/&x.pe2=nope&dn=kept`);
  assert.equal(m.name, 'kept');
});

test('dn: the first non-empty one wins; an empty dn means no name', () => {
  assert.equal(parseMagnet(`${BASE}&dn=&dn=first&dn=second`).name, 'first');
  assert.equal('name' in parseMagnet(`${BASE}&dn=`), false);
});

test('trackers: http, https, udp, ws, wss kept in order without repeats; other schemes, control characters and junk dropped', () => {
  const m = parseMagnet(
    `${BASE}&tr=udp://a.example:1&tr=ftp://x.example/&tr=foo&tr=http://b.example/ann&tr=udp://a.example:1` +
      `&tr=wss://c.example&tr=HTTPS://d.example/a&tr=ws://e.example&tr=dht://abc&tr=http://&tr=http://a.example/%0D%0AX:1` +
      `&tr=http%3A%2F%2Fb.example%2Fann&tr=&tr=http://f.example/a b`,
  );
  assert.deepEqual(m.trackers, [
    'udp://a.example:1',
    'http://b.example/ann',
    'wss://c.example',
    'HTTPS://d.example/a',
    'ws://e.example',
    'http://f.example/a b',
  ]);
});

test('web seeds: http(s) only, in order, without repeats', () => {
  const m = parseMagnet(`${BASE}&ws=https://a.example/f&ws=ftp://b.example/f&ws=udp://c.example:1&ws=https://a.example/f&ws=http://d.example/`);
  assert.deepEqual(m.webSeeds, ['https://a.example/f', 'http://d.example/']);
});

test('x.pe: IPv4, hostname, [IPv6] raw or percent-encoded, repeats dropped', () => {
  const m = parseMagnet(
    `${BASE}&x.pe=10.0.0.1:6881&x.pe=peer.example.org:80&x.pe=[2001:db8::1]:6882&x.pe=%5B%3A%3Affff%3A1.2.3.4%5D%3A1` +
      `&x.pe=10.0.0.1:6881&x.pe=[fe80:0:0:0:0:0:0:1]:65535`,
  );
  assert.deepEqual(m.peers, [
    { host: '10.0.0.1', port: 6881 },
    { host: 'peer.example.org', port: 80 },
    { host: '2001:db8::1', port: 6882 },
    { host: '::ffff:1.2.3.4', port: 1 },
    { host: 'fe80:0:0:0:0:0:0:1', port: 65535 },
  ]);
});

test('so (BEP 53): indices and inclusive ranges expanded, merged across params, sorted, no repeats', () => {
  assert.deepEqual(parseMagnet(`${BASE}&so=0,2,4-6`).selectOnly, [0, 2, 4, 5, 6]);
  assert.deepEqual(parseMagnet(`${BASE}&so=9,3-4&so=4,0%2C1&so=7-7`).selectOnly, [0, 1, 3, 4, 7, 9]);
  assert.deepEqual(parseMagnet(`${BASE}&so=0-${MAX_SELECT_ONLY_COUNT - 1}`).selectOnly?.length, MAX_SELECT_ONLY_COUNT);
  assert.deepEqual(parseMagnet(`${BASE}&so=${MAX_SELECT_ONLY_INDEX}`).selectOnly, [MAX_SELECT_ONLY_INDEX]);
  assert.equal('selectOnly' in parseMagnet(BASE), false);
});

test('hybrid links use the btih; the same hash twice (hex and base32) is fine', () => {
  const v2 = `urn:btmh:1220${'ab'.repeat(32)}`;
  assert.equal(parseMagnet(`magnet:?xt=${v2}&xt=urn:btih:${HASH}`).infoHashHex, HASH);
  assert.equal(parseMagnet(`magnet:?xt=urn:btih:${HASH}&xt=${v2}`).infoHashHex, HASH);
  const b32 = encodeBase32(Buffer.from(HASH, 'hex'));
  assert.equal(parseMagnet(`${BASE}&xt=urn:btih:${b32}`).infoHashHex, HASH);
});

test('a link exactly at the length cap is read', () => {
  const prefix = `${BASE}&dn=`;
  const m = parseMagnet(prefix + 'a'.repeat(MAX_MAGNET_LENGTH - prefix.length));
  assert.equal(m.name?.length, MAX_MAGNET_LENGTH - prefix.length);
});

// --- refusals -----------------------------------------------------------------------------------

const refusals: [string, string, MagnetErrorCode, RegExp?][] = [
  ['empty string', '', 'not-a-magnet', /does not start with "magnet:\?"/],
  ['http URL', 'http://example.com/?xt=urn:btih:' + HASH, 'not-a-magnet'],
  ['magnet without ?', `magnet:xt=urn:btih:${HASH}`, 'not-a-magnet'],
  ['magnet:// form', `magnet://?xt=urn:btih:${HASH}`, 'not-a-magnet'],
  ['missing xt', 'magnet:?dn=x&tr=udp://t.example:1', 'missing-info-hash', /no BitTorrent info-hash/],
  ['only an ed2k URN', 'magnet:?xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1', 'missing-info-hash'],
  ['empty xt', 'magnet:?xt=', 'missing-info-hash'],
  ['v2 only', `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&dn=x`, 'v2-unsupported', /urn:btmh/],
  ['bad hex digit', `magnet:?xt=urn:btih:${HASH.slice(0, 39)}g`, 'invalid-info-hash', /40 hex digits/],
  ['bad base32 character', `magnet:?xt=urn:btih:${'A'.repeat(31)}1`, 'invalid-info-hash', /base32/],
  ['base32 with padding', `magnet:?xt=urn:btih:${'A'.repeat(31)}=`, 'invalid-info-hash'],
  ['39 hex digits', `magnet:?xt=urn:btih:${HASH.slice(0, 39)}`, 'invalid-info-hash', /39 characters/],
  ['41 hex digits', `magnet:?xt=urn:btih:${HASH}0`, 'invalid-info-hash', /41 characters/],
  ['64 hex digits (a v2 hash as btih)', `magnet:?xt=urn:btih:${'ab'.repeat(32)}`, 'invalid-info-hash'],
  ['empty btih', 'magnet:?xt=urn:btih:', 'invalid-info-hash', /0 characters/],
  ['two different btih', `${BASE}&xt=urn:btih:${'1'.repeat(40)}`, 'conflicting-info-hash', /two different info-hashes/],
  ['escape with non-hex', `${BASE}&dn=a%zz`, 'invalid-escape', /"%zz" in magnet dn/],
  ['escape cut short', `${BASE}&dn=a%2`, 'invalid-escape'],
  ['lone percent in tr', `${BASE}&tr=http://t.example/%`, 'invalid-escape', /magnet tr/],
  ['bad escape in xt', 'magnet:?xt=urn%3Gbtih', 'invalid-escape'],
  ['bad escape in x.pe', `${BASE}&x.pe=1.2.3.4%3`, 'invalid-escape'],
  ['%ff is not UTF-8', `${BASE}&dn=%ff`, 'invalid-utf8', /not valid UTF-8/],
  ['truncated UTF-8 sequence', `${BASE}&dn=%C3`, 'invalid-utf8'],
  ['overlong UTF-8', `${BASE}&dn=%C0%AF`, 'invalid-utf8'],
  ['encoded surrogate', `${BASE}&dn=%ED%A0%80`, 'invalid-utf8'],
  ['unpaired surrogate in the string', `${BASE}&dn=\uD800x`, 'invalid-utf8', /surrogate/],
  ['port 0', `${BASE}&x.pe=1.2.3.4:0`, 'invalid-peer', /port out of range/],
  ['port 65536', `${BASE}&x.pe=1.2.3.4:65536`, 'invalid-peer', /port out of range/],
  ['port with letters', `${BASE}&x.pe=1.2.3.4:80a`, 'invalid-peer', /port is not a number/],
  ['negative port', `${BASE}&x.pe=1.2.3.4:-1`, 'invalid-peer'],
  ['six-digit port', `${BASE}&x.pe=1.2.3.4:000080`, 'invalid-peer'],
  ['empty port', `${BASE}&x.pe=1.2.3.4:`, 'invalid-peer'],
  ['no port', `${BASE}&x.pe=1.2.3.4`, 'invalid-peer', /missing ":port"/],
  ['empty x.pe', `${BASE}&x.pe=`, 'invalid-peer'],
  ['IPv6 without brackets', `${BASE}&x.pe=2001:db8::1:6881`, 'invalid-peer', /\[brackets\]/],
  ['bracket not closed', `${BASE}&x.pe=[::1:6881`, 'invalid-peer'],
  ['bad IPv6', `${BASE}&x.pe=[1:2:3:4:5:6:7:8:9]:6881`, 'invalid-peer', /IPv6/],
  ['IPv6 with a zone id', `${BASE}&x.pe=[fe80::1%25eth0]:6881`, 'invalid-peer'],
  ['IPv6 with two ::', `${BASE}&x.pe=[1::2::3]:6881`, 'invalid-peer'],
  ['IPv6 brackets without port', `${BASE}&x.pe=[::1]`, 'invalid-peer'],
  ['IPv4 octet above 255', `${BASE}&x.pe=1.2.3.256:80`, 'invalid-peer'],
  ['IPv4 with three octets', `${BASE}&x.pe=1.2.3:80`, 'invalid-peer'],
  ['IPv4 with a leading zero', `${BASE}&x.pe=01.2.3.4:80`, 'invalid-peer'],
  ['hostname with a space', `${BASE}&x.pe=a%20b.example:80`, 'invalid-peer'],
  ['hostname with an empty label', `${BASE}&x.pe=a..example:80`, 'invalid-peer'],
  ['hostname with a leading hyphen', `${BASE}&x.pe=-a.example:80`, 'invalid-peer'],
  ['empty host', `${BASE}&x.pe=:80`, 'invalid-peer'],
  ['empty so', `${BASE}&so=`, 'invalid-select-only', /empty list/],
  ['so with a word', `${BASE}&so=1,two`, 'invalid-select-only'],
  ['so with an empty item', `${BASE}&so=1,,2`, 'invalid-select-only'],
  ['so with a negative index', `${BASE}&so=-1`, 'invalid-select-only'],
  ['so range backwards', `${BASE}&so=6-4`, 'invalid-select-only', /backwards/],
  ['so open range', `${BASE}&so=4-`, 'invalid-select-only'],
  ['so index too large', `${BASE}&so=${MAX_SELECT_ONLY_INDEX + 1}`, 'invalid-select-only', /above/],
  ['so expanding too far', `${BASE}&so=0-${MAX_SELECT_ONLY_COUNT}`, 'invalid-select-only', /more than/],
  ['so expanding too far across params', `${BASE}&so=0-60000&so=0-60000`, 'invalid-select-only', /more than/],
  ['one character over the cap', `${BASE}&dn=${'a'.repeat(MAX_MAGNET_LENGTH)}`.slice(0, MAX_MAGNET_LENGTH + 1), 'too-long', /more than the 65536/],
];

for (const [label, input, code, message] of refusals) {
  test(`refused: ${label}`, () => assertMagnetError(input, code, message));
}

test('MagnetError is a ProtocolError with its own name', () => {
  try {
    parseMagnet('nope');
    assert.fail('should have thrown');
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    assert.ok(err instanceof MagnetError);
    assert.equal((err as Error).name, 'MagnetError');
  }
  assert.throws(() => parseMagnet(42 as unknown as string), MagnetError);
});

test('adversarial inputs near the cap are refused or read quickly', () => {
  const filler = (unit: string) => unit.repeat(Math.floor((MAX_MAGNET_LENGTH - BASE.length) / unit.length));
  const inputs = [
    'x'.repeat(10_000_000),
    `${BASE}${filler('&')}`,
    `${BASE}&dn=${filler('%C3%A9')}`,
    `${BASE}${filler('&tr=udp://t.example:1')}`,
    `${BASE}${filler('&x.pe=1.2.3.4:1')}`,
    `${BASE}${filler('&xt=urn:btih:' + HASH)}`,
    `${BASE}&so=${filler('0-999,')}`,
    `${BASE}${filler('&dn=+')}`,
  ];
  for (const input of inputs) {
    const started = performance.now();
    try {
      parseMagnet(input);
    } catch (err) {
      assert.ok(err instanceof MagnetError, String(err));
    }
    const ms = performance.now() - started;
    // A hang guard (quadratic work on 64 KiB would take seconds), not a speed target.
    assert.ok(ms < 1000, `${input.slice(0, 60)}... took ${ms.toFixed(1)} ms`);
  }
});

// --- formatting ---------------------------------------------------------------------------------

test('formatMagnet: lowercase hex, libtorrent order, everything but unreserved characters escaped', () => {
  const uri = formatMagnet({
    infoHash: Buffer.from(HASH.toUpperCase(), 'hex'),
    name: 'a b+c&d=e#f',
    trackers: ['udp://t.example:1/a'],
    webSeeds: ['http://w.example/'],
    peers: [{ host: '::1', port: 6881 }],
    selectOnly: [6, 5, 4, 2, 0, 2],
  });
  assert.equal(
    uri,
    `magnet:?xt=urn:btih:${HASH}&dn=a%20b%2Bc%26d%3De%23f&tr=udp%3A%2F%2Ft.example%3A1%2Fa` +
      '&ws=http%3A%2F%2Fw.example%2F&x.pe=[::1]:6881&so=0,2,4-6',
  );
});

test('formatMagnet leaves out an empty name and an empty select-only list', () => {
  assert.equal(formatMagnet({ infoHash: Buffer.from(HASH, 'hex'), name: '', selectOnly: [] }), BASE);
});

test('formatMagnet refuses what parseMagnet would refuse', () => {
  const infoHash = Buffer.from(HASH, 'hex');
  assert.throws(() => formatMagnet({ infoHash: infoHash.subarray(0, 19) }), (e: unknown) => e instanceof MagnetError && e.code === 'invalid-info-hash');
  for (const peer of [
    { host: 'a b', port: 1 },
    { host: '1.2.3.4', port: 0 },
    { host: '1.2.3.4', port: 1.5 },
    { host: '1.2.3.4&dn=x', port: 1 },
    { host: '[::1]', port: 1 },
    { host: '::1]:1', port: 2 },
  ]) {
    assert.throws(() => formatMagnet({ infoHash, peers: [peer] }), (e: unknown) => e instanceof MagnetError && e.code === 'invalid-peer', JSON.stringify(peer));
  }
  for (const selectOnly of [[-1], [1.5], [MAX_SELECT_ONLY_INDEX + 1], [Number.NaN]]) {
    assert.throws(() => formatMagnet({ infoHash, selectOnly }), (e: unknown) => e instanceof MagnetError && e.code === 'invalid-select-only');
  }
});

// --- round trip ---------------------------------------------------------------------------------

const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;
const nameArb = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
    fc.string({ unit: fc.constantFrom(' ', '&', '=', '#', '+', '%', '%20', '?', '/', 'a', 'é', '日本', '😀', '\u0000', '\n'), minLength: 1, maxLength: 15 }),
  )
  .filter(wellFormed);
const urlTailArb = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '/', '?', '&', '=', '#', '%', '%2F', '+', 'é', '😀', '~', ':', ';', '!', '[', ']'), maxLength: 12 });
const urlHostArb = fc.oneof(fc.constantFrom('127.0.0.1', '[::1]', 'tracker.example.org'), fc.domain());
const portSuffixArb = fc.option(fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`), { nil: '' });
const urlArb = (schemes: string[]) =>
  fc.tuple(fc.constantFrom(...schemes), urlHostArb, portSuffixArb, urlTailArb).map(([scheme, host, port, tail]) => `${scheme}://${host}${port}/${tail}`);
const peerArb = fc.record({
  host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
  port: fc.integer({ min: 1, max: 65535 }),
});
const fieldsArb: fc.Arbitrary<MagnetFields> = fc.record(
  {
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    name: nameArb,
    trackers: fc.uniqueArray(urlArb(['http', 'https', 'udp', 'ws', 'wss', 'UDP']), { maxLength: 5 }),
    peers: fc.uniqueArray(peerArb, { maxLength: 4, selector: (p) => `${p.host}|${p.port}` }),
    webSeeds: fc.uniqueArray(urlArb(['http', 'https']), { maxLength: 3 }),
    selectOnly: fc.uniqueArray(fc.nat(5000), { minLength: 1, maxLength: 20 }),
  },
  { requiredKeys: ['infoHash', 'trackers', 'peers', 'webSeeds'] },
);

test('round trip: parseMagnet(formatMagnet(m)) gives m back, and formatting again gives the same link', () => {
  fc.assert(
    fc.property(fieldsArb, (fields) => {
      const uri = formatMagnet(fields);
      const parsed = parseMagnet(uri);
      assert.deepEqual(parsed, expected(fields));
      assert.equal(formatMagnet(parsed), uri);
    }),
    { numRuns: 1000, seed: 0x6d61676e },
  );
});

// --- live cross-check with libtorrent -----------------------------------------------------------

const python = '/usr/bin/python3';

test('libtorrent parses what formatMagnet writes (200 random links)', (t) => {
  if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
  // libtorrent keeps only IP-literal peers, and prints IPv6 canonically: give it canonical ones.
  const ltPeerArb = fc.record({
    host: fc.oneof(fc.ipV4(), fc.constantFrom('::1', '2001:db8::7', 'fe80::1:2', '::ffff:1.2.3.4')),
    port: fc.integer({ min: 1, max: 65535 }),
  });
  const ltFieldsArb = fc.record({
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).filter((b) => b.some((x) => x !== 0)),
    name: nameArb,
    trackers: fc.uniqueArray(urlArb(['http', 'https', 'udp', 'wss']), { maxLength: 4 }),
    peers: fc.uniqueArray(ltPeerArb, { maxLength: 3, selector: (p) => `${p.host}|${p.port}` }),
    webSeeds: fc.uniqueArray(urlArb(['http', 'https']), { maxLength: 2 }),
    selectOnly: fc.uniqueArray(fc.nat(300), { minLength: 1, maxLength: 10 }),
  });
  const samples = fc.sample(ltFieldsArb, { numRuns: 200, seed: 0x17 });
  const uris = samples.map((fields) => formatMagnet(fields));
  const run = spawnSync(python, [fileURLToPathname(fixtureUrl('make_golden.py')), '--parse'], {
    input: JSON.stringify(uris),
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.equal(run.status, 0, run.stderr);
  const readings = JSON.parse(run.stdout) as Reading[];
  for (const [i, fields] of samples.entries()) {
    const ours = expected(fields);
    // libtorrent reports peers IPv4 first; compare them as sets.
    const sortPeers = (peers: { host: string; port: number }[]) => [...peers].sort((a, b) => `${a.host}|${a.port}`.localeCompare(`${b.host}|${b.port}`));
    const theirs = withoutV2(readings[i]!);
    assert.deepEqual({ ...theirs, peers: sortPeers(theirs.peers) }, { ...asReading(ours), peers: sortPeers(ours.peers) }, uris[i]);
  }
});

function fileURLToPathname(url: URL): string {
  return decodeURIComponent(url.pathname);
}
