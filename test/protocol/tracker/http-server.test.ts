import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeAnnounceResponse,
  encodeCompactAnnounceResponse,
  encodeCompactPeers,
  encodeCompactPeers6,
  encodeFailure,
  encodeScrapeResponse,
  parseAnnounceQuery,
  parseQuery,
  TrackerError,
} from '../../../src/protocol/tracker/index.js';

const isTrackerError = (code: string) => (err: unknown) => err instanceof TrackerError && err.code === code;
const H = '%AA'.repeat(20);
const P = '-LT2080-' + 'a'.repeat(12);
const ok = `info_hash=${H}&peer_id=${P}&port=6881&uploaded=0&downloaded=0&left=100`;

test('a minimal announce query parses; unknown parameters are ignored', () => {
  assert.deepEqual({ ...parseAnnounceQuery(`?${ok}&supportcrypto=1&corrupt=0&redundant=0`) }, {
    infoHash: Buffer.alloc(20, 0xaa),
    peerId: Buffer.from(P),
    port: 6881,
    uploaded: 0,
    downloaded: 0,
    left: 100,
  });
});

test('a raw request line in latin1 (unescaped high bytes) decodes byte for byte', () => {
  const raw = `info_hash=${'\xff'.repeat(20)}&peer_id=${P}&port=1&uploaded=0&downloaded=0&left=0`;
  assert.deepEqual(parseAnnounceQuery(raw).infoHash, Buffer.alloc(20, 0xff));
});

test('events, flags and optional fields', () => {
  const r = parseAnnounceQuery(`${ok}&event=completed&compact=0&no_peer_id=1&numwant=0&key=%00k&trackerid=t&ip=%3A%3A1`);
  assert.equal(r.event, 'completed');
  assert.equal(r.compact, false);
  assert.equal(r.noPeerId, true);
  assert.equal(r.numwant, 0);
  assert.deepEqual(r.key, Buffer.from('\x00k', 'latin1'));
  assert.deepEqual(r.trackerId, Buffer.from('t'));
  assert.equal(r.ip, '::1');
  assert.equal(parseAnnounceQuery(`${ok}&event=empty`).event, undefined);
  assert.equal(parseAnnounceQuery(`${ok}&event=`).event, undefined);
});

test('bad announce queries are typed errors', () => {
  const cases: [string, string][] = [
    ['', 'missing-parameter'],
    [ok.replace(/&left=100/, ''), 'missing-parameter'],
    [ok.replace(/peer_id=[^&]*/, 'peer_id=short'), 'invalid-parameter'],
    [ok.replace(H, H + '%AA'), 'invalid-parameter'],
    [`${ok}&info_hash=${H}`, 'duplicate-parameter'],
    [`${ok}&port=1`, 'duplicate-parameter'],
    [ok.replace('port=6881', 'port=65536'), 'invalid-parameter'],
    [ok.replace('port=6881', 'port=-1'), 'invalid-parameter'],
    [ok.replace('left=100', 'left=1e3'), 'invalid-parameter'],
    [ok.replace('left=100', 'left=99999999999999999'), 'invalid-parameter'],
    [ok.replace('left=100', 'left='), 'invalid-parameter'],
    [`${ok}&event=paused`, 'invalid-parameter'],
    [`${ok}&compact=yes`, 'invalid-parameter'],
    [`${ok}&numwant=-1`, 'invalid-parameter'],
    [ok.replace(H, '%A'), 'invalid-percent-encoding'],
  ];
  for (const [query, code] of cases) assert.throws(() => parseAnnounceQuery(query), isTrackerError(code), query);
});

test('compact responses refuse host names; dictionary form can omit peer ids', () => {
  const peers = [{ host: 'peer.example', port: 1 }];
  assert.throws(() => encodeAnnounceResponse({ interval: 60, peers }, { compact: true }), isTrackerError('invalid-argument'));
  const peerId = Buffer.from('-LT2080-abcdefghijkl');
  assert.equal(
    encodeAnnounceResponse({ interval: 60, peers: [{ host: '10.0.0.1', port: 1, peerId }] }, { compact: false, includePeerId: false }).toString(),
    'd8:intervali60e5:peersld2:ip8:10.0.0.14:porti1eeee',
  );
  assert.equal(encodeAnnounceResponse({ interval: 60, peers: [] }, { compact: true }).toString(), 'd8:intervali60e5:peers0:e');
});

test('encoders refuse values the wire cannot carry', () => {
  assert.throws(() => encodeAnnounceResponse({ interval: 0, peers: [] }, { compact: true }), isTrackerError('invalid-argument'));
  assert.throws(() => encodeAnnounceResponse({ interval: 1, complete: -1, peers: [] }, { compact: true }), isTrackerError('invalid-argument'));
  assert.throws(() => encodeScrapeResponse(new Map([['abc', { complete: 0, downloaded: 0, incomplete: 0 }]])), isTrackerError('invalid-argument'));
  assert.equal(encodeFailure('nope').toString(), 'd14:failure reason4:nopee');
});

/** The parser as first written (decode every parameter, then pick): the model the one-pass parser must match. */
function referenceParse(rawQuery: string): unknown {
  const single = new Set(['info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left', 'event', 'compact', 'no_peer_id', 'numwant', 'key', 'trackerid', 'ip']);
  const params = new Map<string, Buffer>();
  for (const { name, value } of parseQuery(rawQuery)) {
    if (!single.has(name)) continue;
    if (params.has(name)) throw new TrackerError('duplicate-parameter', name);
    params.set(name, value);
  }
  const required = (name: string) => {
    const v = params.get(name);
    if (v === undefined) throw new TrackerError('missing-parameter', name);
    return v;
  };
  const hash = (v: Buffer) => {
    if (v.length !== 20) throw new TrackerError('invalid-parameter', 'hash');
    return v;
  };
  const decimal = (v: Buffer, max = Number.MAX_SAFE_INTEGER) => {
    const text = v.toString('latin1');
    const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
    if (!(n <= max)) throw new TrackerError('invalid-parameter', 'decimal');
    return n;
  };
  const flag = (v: Buffer) => {
    const text = v.toString('latin1');
    if (text !== '0' && text !== '1') throw new TrackerError('invalid-parameter', 'flag');
    return text === '1';
  };
  const r: Record<string, unknown> = {
    infoHash: hash(required('info_hash')),
    peerId: hash(required('peer_id')),
    port: decimal(required('port'), 65535),
    uploaded: decimal(required('uploaded')),
    downloaded: decimal(required('downloaded')),
    left: decimal(required('left')),
  };
  const event = params.get('event')?.toString('latin1');
  if (event !== undefined && event !== '' && event !== 'empty') {
    if (!['started', 'completed', 'stopped'].includes(event)) throw new TrackerError('invalid-parameter', 'event');
    r['event'] = event;
  }
  if (params.has('compact')) r['compact'] = flag(params.get('compact')!);
  if (params.has('no_peer_id')) r['noPeerId'] = flag(params.get('no_peer_id')!);
  if (params.has('numwant')) r['numwant'] = decimal(params.get('numwant')!, 0x7fffffff);
  if (params.has('key')) r['key'] = params.get('key');
  if (params.has('trackerid')) r['trackerId'] = params.get('trackerid');
  if (params.has('ip')) r['ip'] = params.get('ip')!.toString('utf8');
  return r;
}

const outcome = (parse: (q: string) => unknown, query: string) => {
  try {
    return { ok: { ...(parse(query) as object) } };
  } catch (err) {
    assert.ok(err instanceof TrackerError, String(err));
    return { error: err.code };
  }
};

test('property: the one-pass announce parser gives what decoding every parameter first gives, results and error codes', () => {
  const pieces = [
    `info_hash=${H}`, `peer_id=${P}`, 'port=6881', 'uploaded=0', 'downloaded=0', 'left=100', 'left=%31%30', 'event=started', 'event=empty', 'event=paused',
    'compact=1', 'compact=0', 'compact=yes', 'no_peer_id=1', 'numwant=50', 'numwant=-1', 'key=%00k', 'trackerid=t', 'ip=%3A%3A1', 'supportcrypto=1',
    'x=%ZZ', '%69nfo_hash=' + H, 'port=', 'port', '', 'left=1e3', 'peer%5Fid=' + P, 'info_hash=%A', 'bad\u0100=1', 'port=99999999999999999',
    // Values read in place: escaped digits and words, leading zeros, the edges of each range, an escape cut short by `&`.
    'port=%36%38%38%31', 'port=65535', 'port=065535', 'left=9007199254740991', 'left=9007199254740993', 'numwant=2147483648',
    'event=%73tarted', 'compact=%31', 'key=', 'ip=', 'x=%4', 'x=%', 'info_hash=' + H.slice(0, -1),
  ];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), fc.boolean(), (parts, question) => {
      const query = (question ? '?' : '') + parts.join('&');
      assert.deepEqual(outcome(parseAnnounceQuery, query), outcome(referenceParse, query), query);
    }),
    { numRuns: 3000, seed: 17 },
  );
  // Whole valid queries, in any order.
  const valid = ok.split('&');
  fc.assert(
    fc.property(fc.shuffledSubarray(valid, { minLength: valid.length, maxLength: valid.length }), (parts) => {
      const query = parts.join('&');
      assert.deepEqual(outcome(parseAnnounceQuery, query), outcome(referenceParse, query));
    }),
    { numRuns: 200, seed: 3 },
  );
});

test('encodeCompactAnnounceResponse writes the bytes encodeAnnounceResponse writes', () => {
  const v4 = [{ host: '10.0.0.1', port: 6881 }, { host: '192.168.1.2', port: 1 }];
  const v6 = [{ host: '2001:db8::1', port: 51413 }];
  const compact4 = encodeCompactPeers(v4);
  const compact6 = encodeCompactPeers6(v6);
  for (const fields of [{ interval: 1800 }, { interval: 1800, minInterval: 900, complete: 3, incomplete: 0, downloaded: 12 }]) {
    assert.deepEqual(encodeCompactAnnounceResponse(fields, compact4), encodeAnnounceResponse({ ...fields, peers: v4 }, { compact: true }));
    assert.deepEqual(encodeCompactAnnounceResponse(fields, compact4, compact6), encodeAnnounceResponse({ ...fields, peers: [...v4, ...v6] }, { compact: true }));
    assert.deepEqual(encodeCompactAnnounceResponse(fields, Buffer.alloc(0)), encodeAnnounceResponse({ ...fields, peers: [] }, { compact: true }));
  }
  // Every count from 0 to 2⁵³ − 1, whatever its number of digits, and peer lists of any length.
  const count = fc.option(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.maxSafeNat()), { nil: undefined });
  const ipv4 = fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([host, port]) => ({ host, port }));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0x7fffffff }), count, count, count, count, fc.array(ipv4, { maxLength: 30 }), (interval, complete, incomplete, downloaded, minInterval, peers) => {
      const fields = { interval, complete, incomplete, downloaded, minInterval: minInterval === undefined ? undefined : Math.min(interval, minInterval + 1) };
      assert.deepEqual(encodeCompactAnnounceResponse(fields, encodeCompactPeers(peers)), encodeAnnounceResponse({ ...fields, peers }, { compact: true }));
    }),
    { numRuns: 300, seed: 5 },
  );
  assert.throws(() => encodeCompactAnnounceResponse({ interval: 0 }, compact4), isTrackerError('invalid-argument'));
  assert.throws(() => encodeCompactAnnounceResponse({ interval: 1, complete: -1 }, compact4), isTrackerError('invalid-argument'));
  assert.throws(() => encodeCompactAnnounceResponse({ interval: 1 }, Buffer.alloc(5)), isTrackerError('invalid-argument'));
});
