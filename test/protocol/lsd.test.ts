import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../src/protocol/errors.js';
import {
  LSD_MAX_ANNOUNCE_BYTES,
  LSD_MAX_DATAGRAM_BYTES,
  LsdError,
  decodeLsdAnnounce,
  encodeLsdAnnounce,
  groupForAnnounce,
} from '../../src/protocol/lsd.js';

const A = 'c9e15763f722f23e98a29decdfae341b98d53056';
const B = '00ff2526263d3f2b20417a7e2d2e5f80c0e1f2aa';
const bytes = (text: string) => Buffer.from(text, 'latin1');

function rejects(input: Buffer, code: string) {
  assert.throws(
    () => decodeLsdAnnounce(input),
    (err: unknown) => err instanceof LsdError && err instanceof ProtocolError && err.code === code,
    `expected ${code}`,
  );
}

test('encodes what libtorrent sends, byte for byte, and reads it back', () => {
  const encoded = encodeLsdAnnounce({ family: 'IPv4', port: 6881, infoHashes: [A], cookie: '5d2a1b3c' });
  // libtorrent 2.0 lsd.cpp render_lsd_packet: the headers, an empty line and one more CRLF.
  assert.equal(encoded.toString('latin1'), `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${A}\r\ncookie: 5d2a1b3c\r\n\r\n\r\n`);
  assert.deepEqual(decodeLsdAnnounce(encoded), { port: 6881, infoHashes: [A], cookie: '5d2a1b3c', host: '239.192.152.143:6771', skippedInfoHashes: 0 });
});

test('the IPv6 Host header is the bracketed group', () => {
  const encoded = encodeLsdAnnounce({ family: 'IPv6', port: 51413, infoHashes: [A, B] });
  assert.match(encoded.toString('latin1'), /^BT-SEARCH \* HTTP\/1\.1\r\nHost: \[ff15::efc0:988f\]:6771\r\nPort: 51413\r\nInfohash: c9e1\w+\r\nInfohash: 00ff\w+\r\n\r\n\r\n$/);
  assert.deepEqual(decodeLsdAnnounce(encoded).infoHashes, [A, B]);
});

test('reads Transmission\'s announce (no cookie) and the variants others send', () => {
  const transmission = bytes(`BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\nInfohash: ${A.toUpperCase()}\r\n\r\n\r\n`);
  assert.deepEqual(decodeLsdAnnounce(transmission), { port: 51413, infoHashes: [A], host: '239.192.152.143:6771', skippedInfoHashes: 0 });

  // Bare LF, header names in any case, extra spaces, unknown headers, several Infohash headers
  // (one repeated), no trailing blank line at all.
  const loose = bytes(`bt-search * HTTP/1.0\nHOST: 239.192.152.143:6771\nport:6882\nX-Whatever: 1\ninfohash:   ${A}  \nINFOHASH: ${B}\nInfoHash: ${A}\nCookie: abc`);
  assert.deepEqual(decodeLsdAnnounce(loose), { port: 6882, infoHashes: [A, B], cookie: 'abc', host: '239.192.152.143:6771', skippedInfoHashes: 0 });

  // What follows the empty line is not read (trailing blank lines, even a body).
  const trailing = bytes(`BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${A}\r\n\r\n\r\n\r\nInfohash: ${B}\r\n`);
  assert.deepEqual(decodeLsdAnnounce(trailing).infoHashes, [A]);
});

test('an Infohash that is not 40 hex digits is skipped, not fatal (a v2 hash, garbage)', () => {
  const v2 = 'a'.repeat(64);
  const mixed = bytes(`BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: ${v2}\r\nInfohash: nothex\r\nInfohash: ${B}\r\n\r\n`);
  const announce = decodeLsdAnnounce(mixed);
  assert.deepEqual(announce.infoHashes, [B]);
  assert.equal(announce.skippedInfoHashes, 2);
  rejects(bytes(`BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: ${v2}\r\n\r\n`), 'missing-infohash');
});

test('typed errors for what is not an announce', () => {
  rejects(bytes(''), 'not-bt-search');
  rejects(bytes(`M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${A}\r\n\r\n`), 'not-bt-search'); // SSDP, same groups' neighbours
  rejects(bytes(`BT-SEARCH *\r\nPort: 1\r\nInfohash: ${A}\r\n\r\n`), 'not-bt-search');
  rejects(bytes(`BT-SEARCH * HTTP/1.1\r\nInfohash: ${A}\r\n\r\n`), 'missing-port');
  for (const port of ['0', '65536', '-1', '6881x', '', '99999999999']) {
    rejects(bytes(`BT-SEARCH * HTTP/1.1\r\nPort: ${port}\r\nInfohash: ${A}\r\n\r\n`), 'invalid-port');
  }
  rejects(bytes(`BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\n\r\n`), 'missing-infohash');
  rejects(bytes(`BT-SEARCH * HTTP/1.1\r\nPort 6881\r\nInfohash: ${A}\r\n\r\n`), 'malformed-header');
  rejects(Buffer.alloc(LSD_MAX_DATAGRAM_BYTES + 1, 0x41), 'too-long');
});

test('the first Port and cookie count when repeated; an empty cookie is none', () => {
  const announce = decodeLsdAnnounce(bytes(`BT-SEARCH * HTTP/1.1\r\nPort: 10\r\nPort: 20\r\ncookie:\r\ncookie: x\r\nInfohash: ${A}\r\n\r\n`));
  assert.equal(announce.port, 10);
  assert.equal(announce.cookie, undefined);
});

test('reads a view into a larger buffer without looking outside it', () => {
  const encoded = encodeLsdAnnounce({ family: 'IPv4', port: 7, infoHashes: [A] });
  const big = Buffer.concat([bytes('garbage'), encoded, bytes(`Infohash: ${B}\r\n`)]);
  assert.deepEqual(decodeLsdAnnounce(big.subarray(7, 7 + encoded.length)).infoHashes, [A]);
});

test('the encoder refuses what it cannot send', () => {
  const fields = { family: 'IPv4' as const, port: 6881, infoHashes: [A] };
  for (const bad of [{ port: 0 }, { port: 65536 }, { infoHashes: [] }, { infoHashes: ['xyz'] }, { cookie: 'has space' }, { cookie: '' }]) {
    assert.throws(() => encodeLsdAnnounce({ ...fields, ...bad }), (err: unknown) => err instanceof LsdError && err.code === 'invalid-argument', JSON.stringify(bad));
  }
  const tooMany = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(40, '0'));
  assert.throws(() => encodeLsdAnnounce({ ...fields, infoHashes: tooMany }), /over 1400/);
});

test('groupForAnnounce fills datagrams up to 1400 bytes, in order', () => {
  const hashes = Array.from({ length: 60 }, (_, i) => i.toString(16).padStart(40, '0'));
  for (const family of ['IPv4', 'IPv6'] as const) {
    const fields = { family, port: 65535, cookie: 'ffffffff' };
    const groups = groupForAnnounce(hashes, fields);
    assert.deepEqual(groups.flat(), hashes);
    for (const group of groups) assert.ok(encodeLsdAnnounce({ ...fields, infoHashes: group }).length <= LSD_MAX_ANNOUNCE_BYTES);
    // Full: one more would not fit.
    const more = [...groups[0]!, hashes.at(-1)!];
    assert.throws(() => encodeLsdAnnounce({ ...fields, infoHashes: more }), /over 1400/);
    assert.equal(groups.length, Math.ceil(60 / groups[0]!.length));
  }
  assert.deepEqual(groupForAnnounce([], { family: 'IPv4', port: 1 }), []);
});
