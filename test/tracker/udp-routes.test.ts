import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type AddressFamily,
  type UdpAnnounceRequest,
  type UdpAnnounceResponse,
  type UdpResponse,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpScrapeRequest,
} from '../../src/protocol/tracker/index.js';
import { NOT_ALLOWED } from '../../src/tracker/tracker-core.js';
import { core, udp } from './core-helpers.js';
import { hash, peerId } from './registry-helpers.js';

type Core = ReturnType<typeof core>;

function ask(c: Core, packet: Buffer, from: string, now = 0, family: AddressFamily = 'IPv4'): UdpResponse {
  const reply = udp(c, packet, from, 40_000, now);
  assert.ok(reply, 'a reply');
  return decodeUdpResponse(reply, family);
}

function connect(c: Core, from: string, now = 0): bigint {
  const r = ask(c, encodeUdpConnectRequest({ transactionId: 1 }), from, now);
  assert.equal(r.action, 'connect');
  return (r as { connectionId: bigint }).connectionId;
}

function announcePacket(connectionId: bigint, fields: Partial<Omit<UdpAnnounceRequest, 'action'>> = {}): Buffer {
  return encodeUdpAnnounceRequest({
    connectionId,
    transactionId: 77,
    infoHash: hash(1),
    peerId: peerId(1),
    downloaded: 0,
    left: 100,
    uploaded: 0,
    key: 5,
    port: 6881,
    ...fields,
  });
}

/** Connects, then announces from `from`; returns the announce reply. */
function announce(c: Core, from: string, fields: Partial<Omit<UdpAnnounceRequest, 'action'>> = {}, now = 0): UdpResponse {
  const family: AddressFamily = from.includes(':') && !from.startsWith('::ffff:') ? 'IPv6' : 'IPv4';
  return ask(c, announcePacket(connect(c, from, now), fields), from, now, family);
}

const ok = (r: UdpResponse): UdpAnnounceResponse => {
  if (r.action !== 'announce') throw new Error(`expected an announce reply, got ${JSON.stringify(r)}`);
  return r;
};

describe('BEP 15 announce', () => {
  test('connect then announce: interval, counts and the other peers', () => {
    const c = core({ interval: 900 });
    ok(announce(c, '192.0.2.1', { peerId: peerId(1), port: 7001, left: 0 }));
    const reply = ok(announce(c, '192.0.2.2', { peerId: peerId(2), port: 7002 }));
    assert.equal(reply.transactionId, 77);
    assert.equal(reply.interval, 900);
    assert.deepEqual([reply.seeders, reply.leechers], [1, 1]);
    assert.deepEqual(reply.peers, [{ host: '192.0.2.1', port: 7001 }]);
    assert.deepEqual(c.stats().requests.udp, { connect: 2, announce: 2, scrape: 0, failed: 0, ignored: 0 });
  });

  test('the reply is in the family of the request: 18-byte IPv6 peers over IPv6, IPv4 ones to a mapped IPv4 client', () => {
    const c = core();
    ok(announce(c, '2001:db8::1', { peerId: peerId(1), port: 7001 }));
    ok(announce(c, '192.0.2.2', { peerId: peerId(2), port: 7002 }));
    const v6 = ok(announce(c, '2001:db8::3', { peerId: peerId(3), port: 7003 }));
    assert.deepEqual(v6.peers, [{ host: '2001:db8::1', port: 7001 }]);
    const mapped = ok(announce(c, '::ffff:192.0.2.4', { peerId: peerId(4), port: 7004 }));
    assert.deepEqual(mapped.peers, [{ host: '192.0.2.2', port: 7002 }]);
    assert.deepEqual([mapped.leechers, mapped.seeders], [4, 0]);
  });

  test('numwant: 50 by default; at most 200 peers over IPv4 and 66 over IPv6, so a reply fits one datagram', () => {
    const c = core({ maxNumwant: 500 });
    for (let n = 1; n <= 300; n++) {
      ok(announce(c, `10.0.${n >> 8}.${n & 255}`, { peerId: peerId(n), port: 7000 + n }));
      ok(announce(c, `2001:db8::${n.toString(16)}`, { peerId: peerId(1000 + n), port: 7000 + n }));
    }
    assert.equal(ok(announce(c, '10.9.9.9', { peerId: peerId(9999) })).peers.length, 50);
    const v4 = udp(c, announcePacket(connect(c, '10.9.9.9'), { peerId: peerId(9999), numWant: 1000 }), '10.9.9.9')!;
    assert.equal(ok(decodeUdpResponse(v4, 'IPv4')).peers.length, 200);
    assert.equal(v4.length, 20 + 200 * 6);
    const v6 = udp(c, announcePacket(connect(c, '2001:db8::ffff'), { peerId: peerId(9998), numWant: 1000 }), '2001:db8::ffff')!;
    assert.equal(ok(decodeUdpResponse(v6, 'IPv6')).peers.length, 66);
    assert.ok(v6.length <= 1232, `${v6.length} bytes`);
  });

  test('stopped removes the peer; completed counts', () => {
    const c = core();
    ok(announce(c, '192.0.2.1', { peerId: peerId(1), port: 7001 }));
    ok(announce(c, '192.0.2.1', { peerId: peerId(1), port: 7001, left: 0, event: 'completed' }));
    ok(announce(c, '192.0.2.1', { peerId: peerId(1), port: 7001, left: 0, event: 'stopped' }));
    const reply = ok(announce(c, '192.0.2.2', { peerId: peerId(2), port: 7002 }));
    assert.deepEqual(reply.peers, []);
    assert.equal(reply.seeders, 0);
    assert.equal(c.registry.scrape(hash(1)).downloaded, 1);
  });

  test('the allow-list refuses other torrents with an error packet', () => {
    const c = core({ allowList: new Set([hash(1).toString('hex')]) });
    ok(announce(c, '192.0.2.1'));
    assert.deepEqual(announce(c, '192.0.2.1', { infoHash: hash(2) }), { action: 'error', transactionId: 77, message: NOT_ALLOWED });
  });
});

describe('security', () => {
  test('a forged connection id is refused, and nothing is recorded', () => {
    const c = core();
    for (const forged of [0x41727101980n, 0n, 0x1234_5678_9abc_def0n]) {
      const r = ask(c, announcePacket(forged), '192.0.2.1');
      assert.deepEqual(r, { action: 'error', transactionId: 77, message: 'invalid or expired connection id' });
    }
    assert.equal(c.stats().peers, 0);
    assert.equal(c.stats().requests.udp.failed, 3);
  });

  test('a connection id obtained by one address does not work from another', () => {
    const c = core();
    const id = connect(c, '192.0.2.1');
    assert.equal(ask(c, announcePacket(id), '192.0.2.99').action, 'error');
    assert.equal(ask(c, announcePacket(id), '192.0.2.1').action, 'announce');
  });

  test('a connection id expires: fine after 60 s, refused after 2 minutes', () => {
    const c = core();
    const id = connect(c, '192.0.2.1', 1_000_000);
    assert.equal(ask(c, announcePacket(id), '192.0.2.1', 1_060_000).action, 'announce');
    assert.equal(ask(c, announcePacket(id), '192.0.2.1', 1_120_000).action, 'error');
    assert.equal(ask(c, encodeUdpScrapeRequest({ connectionId: id, transactionId: 3, infoHashes: [hash(1)] }), '192.0.2.1', 1_120_000).action, 'error');
  });

  test('the ip field is ignored unless the tracker trusts it', () => {
    for (const trustIp of [false, true]) {
      const c = core({ trustIp });
      ok(announce(c, '192.0.2.1', { peerId: peerId(1), port: 7001, ip: '198.51.100.7' }));
      const reply = ok(announce(c, '192.0.2.2', { peerId: peerId(2), port: 7002 }));
      assert.deepEqual(reply.peers, [{ host: trustIp ? '198.51.100.7' : '192.0.2.1', port: 7001 }]);
    }
  });

  test('malformed packets: too short is ignored; otherwise an error packet naming the problem, no bigger than 2 × the request', () => {
    const c = core();
    assert.equal(udp(c, Buffer.alloc(15)), undefined);
    const badProtocol = encodeUdpConnectRequest({ transactionId: 9 });
    badProtocol[0] = 1;
    assert.deepEqual(ask(c, badProtocol, '192.0.2.1'), { action: 'error', transactionId: 9, message: 'invalid-protocol-id' });
    const unknownAction = Buffer.alloc(16);
    unknownAction.writeUInt32BE(9, 8);
    unknownAction.writeUInt32BE(10, 12);
    assert.deepEqual(ask(c, unknownAction, '192.0.2.1'), { action: 'error', transactionId: 10, message: 'unknown-action' });
    const shortAnnounce = announcePacket(1n).subarray(0, 60);
    assert.deepEqual(ask(c, shortAnnounce, '192.0.2.1'), { action: 'error', transactionId: 77, message: 'truncated-packet' });
    assert.equal(udp(c, Buffer.alloc(16), 'not-an-address'), undefined);
  });

  test('fuzz: any datagram gets no reply or a well-formed one, never an exception, never more than 2 × its size unless authenticated', () => {
    const c = core();
    const packet = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ minLength: 16, maxLength: 120 })).map(([action, b]) => {
        const buf = Buffer.from(b);
        buf.writeUInt32BE(action, 8);
        return buf;
      }),
    );
    fc.assert(
      fc.property(packet, (data) => {
        const reply = udp(c, data, '192.0.2.1');
        if (reply === undefined) return;
        const decoded = decodeUdpResponse(reply, 'IPv4');
        if (decoded.action !== 'connect') assert.equal(decoded.action, 'error');
        assert.ok(reply.length <= Math.max(2 * data.length, 16), `${reply.length} bytes for ${data.length}`);
      }),
      { numRuns: 3000, seed: 8 },
    );
  });
});

test('BEP 15 scrape: counts in the order asked, zeros for unknown torrents', () => {
  const c = core();
  ok(announce(c, '192.0.2.1', { infoHash: hash(2), peerId: peerId(1), port: 7001, left: 0 }));
  ok(announce(c, '192.0.2.2', { infoHash: hash(2), peerId: peerId(2), port: 7002 }));
  const id = connect(c, '192.0.2.3');
  const r = ask(c, encodeUdpScrapeRequest({ connectionId: id, transactionId: 4, infoHashes: [hash(9), hash(2)] }), '192.0.2.3');
  assert.deepEqual(r, {
    action: 'scrape',
    transactionId: 4,
    stats: [
      { complete: 0, downloaded: 0, incomplete: 0 },
      { complete: 1, downloaded: 0, incomplete: 1 },
    ],
  });
});
