import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type BValue, decode, isBDict } from '../../src/protocol/bencode/index.js';
import {
  type AnnounceSuccess,
  type ScrapeSuccess,
  decodeCompactPeers,
  decodeCompactPeers6,
  parseAnnounceResponse,
  parseScrapeResponse,
  percentEncode,
} from '../../src/protocol/tracker/index.js';
import { handleHttpRequest } from '../../src/tracker/http-routes.js';
import { NOT_ALLOWED } from '../../src/tracker/tracker-core.js';
import { announceQuery, core, get, getDict } from './core-helpers.js';
import { hash, peerId } from './registry-helpers.js';

function announce(c: ReturnType<typeof core>, query: string, from = '127.0.0.1', now = 0): AnnounceSuccess {
  const reply = parseAnnounceResponse(get(c, `/announce?${query}`, from, now).body);
  if (reply.type !== 'success') throw new Error(`refused: ${reply.reason}`);
  return reply;
}

function failure(c: ReturnType<typeof core>, url: string, from = '127.0.0.1'): string {
  const reply = get(c, url, from);
  assert.equal(reply.status, 200, 'failures are sent with HTTP 200');
  const parsed = parseAnnounceResponse(reply.body);
  assert.equal(parsed.type, 'failure');
  return (parsed as { reason: string }).reason;
}

describe('GET /announce', () => {
  test('compact by default: interval, min interval, counts, and the other peers with the addresses their sockets had', () => {
    const c = core({ interval: 600 });
    announce(c, announceQuery({ peer: 1, port: 7001, left: 0 }), '10.1.1.1');
    announce(c, announceQuery({ peer: 2, port: 7002 }), '::ffff:10.1.1.2'); // dual-stack socket, IPv4 client
    const reply = announce(c, announceQuery({ peer: 3, port: 7003 }), '10.1.1.3');
    assert.equal(reply.interval, 600);
    assert.equal(reply.minInterval, 300);
    assert.equal(reply.complete, 1);
    assert.equal(reply.incomplete, 2);
    assert.deepEqual(reply.peers.map((p) => `${p.host}:${p.port}`).sort(), ['10.1.1.1:7001', '10.1.1.2:7002']);
    const raw = getDict(c, `/announce?${announceQuery({ peer: 3, port: 7003 })}`, '10.1.1.3');
    assert.ok(Buffer.isBuffer(raw['peers']), 'compact peers are one byte string');
    assert.equal(decodeCompactPeers(raw['peers'] as Buffer).length, 2);
    assert.equal(raw['peers6'], undefined);
  });

  test('BEP 7: IPv6 peers go in peers6 of a compact reply', () => {
    const c = core();
    announce(c, announceQuery({ peer: 1, port: 7001 }), '2001:db8::1');
    announce(c, announceQuery({ peer: 2, port: 7002 }), '192.0.2.2');
    const raw = getDict(c, `/announce?${announceQuery({ peer: 3 })}`, '192.0.2.3');
    assert.deepEqual(decodeCompactPeers(raw['peers'] as Buffer), [{ host: '192.0.2.2', port: 7002 }]);
    assert.deepEqual(decodeCompactPeers6(raw['peers6'] as Buffer), [{ host: '2001:db8::1', port: 7001 }]);
  });

  test('compact=0 gives the dictionary form with peer ids, unless no_peer_id=1', () => {
    const c = core();
    announce(c, announceQuery({ peer: 1, port: 7001 }), '2001:db8::1');
    announce(c, announceQuery({ peer: 2, port: 7002 }), '192.0.2.2');
    const full = getDict(c, `/announce?${announceQuery({ peer: 3, extra: 'compact=0' })}`, '192.0.2.3');
    const list = full['peers'] as BValue[];
    assert.ok(Array.isArray(list) && list.length === 2);
    const ids = list.map((p) => (isBDict(p) ? (p['peer id'] as Buffer).toString('latin1') : '')).sort();
    assert.deepEqual(ids, [peerId(1).toString('latin1'), peerId(2).toString('latin1')]);
    const bare = getDict(c, `/announce?${announceQuery({ peer: 3, extra: 'compact=0&no_peer_id=1' })}`, '192.0.2.3');
    for (const p of bare['peers'] as BValue[]) assert.ok(isBDict(p) && p['peer id'] === undefined && Buffer.isBuffer(p['ip']));
  });

  test('the ip parameter is ignored unless the tracker trusts it', () => {
    for (const trustIp of [false, true]) {
      const c = core({ trustIp });
      announce(c, announceQuery({ peer: 1, port: 7001, extra: 'ip=198.51.100.9' }), '192.0.2.1');
      const reply = announce(c, announceQuery({ peer: 2 }), '192.0.2.2');
      assert.deepEqual(reply.peers, [{ host: trustIp ? '198.51.100.9' : '192.0.2.1', port: 7001 }]);
    }
    // Trusted or not, a name is not an address to hand out.
    const c = core({ trustIp: true });
    announce(c, announceQuery({ peer: 1, port: 7001, extra: 'ip=evil.example' }), '192.0.2.1');
    assert.deepEqual(announce(c, announceQuery({ peer: 2 }), '192.0.2.2').peers, [{ host: '192.0.2.1', port: 7001 }]);
  });

  test('event=stopped removes the peer; event=completed counts a download', () => {
    const c = core();
    announce(c, announceQuery({ peer: 1, port: 7001 }));
    announce(c, announceQuery({ peer: 1, port: 7001, left: 0, event: 'completed' }));
    let reply = announce(c, announceQuery({ peer: 2, port: 7002 }));
    assert.equal(reply.downloaded, 1);
    assert.equal(reply.peers.length, 1);
    announce(c, announceQuery({ peer: 1, port: 7001, left: 0, event: 'stopped' }));
    reply = announce(c, announceQuery({ peer: 2, port: 7002 }));
    assert.deepEqual(reply.peers, []);
    assert.equal(reply.complete, 0);
  });

  test('malformed announces get a bencoded failure reason with HTTP 200', () => {
    const c = core();
    assert.match(failure(c, '/announce'), /info_hash is missing/);
    assert.match(failure(c, `/announce?${announceQuery({ port: 70000 })}`), /port/);
    assert.match(failure(c, '/announce?info_hash=%zz'), /escape/);
    assert.match(failure(c, `/announce?${announceQuery({ event: 'paused' })}`), /event/);
    assert.match(failure(c, `/announce?${announceQuery()}&port=1`), /more than once/);
    assert.equal(c.stats().requests.http.failed, 5);
    assert.equal(c.stats().peers, 0);
  });

  test('with an allow-list, other torrents are refused', () => {
    const c = core({ allowList: new Set([hash(1).toString('hex')]) });
    announce(c, announceQuery({ torrent: 1 }));
    assert.equal(failure(c, `/announce?${announceQuery({ torrent: 2 })}`), NOT_ALLOWED);
    assert.equal(c.stats().torrents, 1);
  });
});

describe('GET /scrape', () => {
  test('BEP 48: one or many infohashes; unknown ones read as zeros', () => {
    const c = core();
    announce(c, announceQuery({ torrent: 1, peer: 1, port: 7001, left: 0 }));
    announce(c, announceQuery({ torrent: 1, peer: 2, port: 7002 }));
    announce(c, announceQuery({ torrent: 2, peer: 3, port: 7003 }));
    const one = parseScrapeResponse(get(c, `/scrape?info_hash=${percentEncode(hash(1))}`).body) as ScrapeSuccess;
    assert.deepEqual([...one.files], [[hash(1).toString('hex'), { complete: 1, downloaded: 0, incomplete: 1 }]]);
    const many = parseScrapeResponse(
      get(c, `/scrape?info_hash=${percentEncode(hash(1))}&info_hash=${percentEncode(hash(2))}&info_hash=${percentEncode(hash(3))}`).body,
    ) as ScrapeSuccess;
    assert.equal(many.type, 'success');
    assert.deepEqual(many.files.get(hash(2).toString('hex')), { complete: 0, downloaded: 0, incomplete: 1 });
    assert.deepEqual(many.files.get(hash(3).toString('hex')), { complete: 0, downloaded: 0, incomplete: 0 });
    assert.equal(many.files.size, 3);
  });

  test('a scrape without info_hash, or with too many, is refused', () => {
    const c = core({ maxScrapeHashes: 2 });
    assert.match(failure(c, '/scrape'), /at least one info_hash/);
    const three = [1, 2, 3].map((n) => `info_hash=${percentEncode(hash(n))}`).join('&');
    assert.match(failure(c, `/scrape?${three}`), /at most 2/);
    assert.match(failure(c, '/scrape?info_hash=short'), /20/);
  });
});

describe('other requests', () => {
  test('GET /stats: torrents, seeders, leechers and requests by kind, as JSON', () => {
    const c = core();
    announce(c, announceQuery({ peer: 1, port: 7001, left: 0 }));
    announce(c, announceQuery({ peer: 2, port: 7002 }));
    get(c, `/scrape?info_hash=${percentEncode(hash(1))}`);
    get(c, '/announce?bad');
    get(c, '/favicon.ico');
    const reply = get(c, '/stats');
    assert.equal(reply.status, 200);
    assert.equal(reply.contentType, 'application/json');
    const stats = JSON.parse(reply.body.toString()) as Record<string, unknown>;
    assert.equal(stats['torrents'], 1);
    assert.equal(stats['seeders'], 1);
    assert.equal(stats['leechers'], 1);
    assert.deepEqual(stats['requests'], {
      http: { announce: 3, scrape: 1, stats: 1, notFound: 1, failed: 1 },
      udp: { connect: 0, announce: 0, scrape: 0, failed: 0, ignored: 0 },
    });
  });

  test('404 for other paths, 405 for other methods', () => {
    const c = core();
    for (const url of ['/', '/announce/', '/ANNOUNCE', '/scrape.php', '/../etc/passwd', '*']) assert.equal(get(c, url).status, 404, url);
    const post = handleHttpRequest(c, { method: 'POST', url: '/announce', remoteAddress: '127.0.0.1', remotePort: 1 }, 0);
    assert.equal(post.status, 405);
  });

  test('fuzz: whatever the request target, a reply (never an exception), bencoded on the tracker paths', () => {
    const c = core();
    const target = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.constantFrom('/announce?', '/scrape?'), fc.string({ unit: 'binary', maxLength: 300 })).map(([p, q]) => p + q),
      fc.tuple(fc.constantFrom('/announce?', '/scrape?'), fc.uint8Array({ maxLength: 120 })).map(([p, q]) => p + Buffer.from(q).toString('latin1')),
      fc.constant(announceQuery()).chain((q) => fc.integer({ min: 0, max: q.length }).map((cut) => `/announce?${q.slice(0, cut)}`)),
    );
    fc.assert(
      fc.property(target, (url) => {
        const reply = handleHttpRequest(c, { method: 'GET', url, remoteAddress: '127.0.0.1', remotePort: 1 }, 0);
        assert.ok([200, 404].includes(reply.status));
        if (url.startsWith('/announce?') || url.startsWith('/scrape?')) assert.ok(isBDict(decode(reply.body, { mode: 'strict' })));
      }),
      { numRuns: 2000, seed: 5 },
    );
  });
});
