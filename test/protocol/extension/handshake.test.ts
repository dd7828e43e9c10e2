import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../../src/protocol/bencode/index.js';
import { ExtensionError, decodeExtendedHandshake, encodeExtendedHandshake } from '../../../src/protocol/extension/index.js';

describe('BEP 10 extension handshake', () => {
  test('round trip of every field we send', () => {
    const payload = encodeExtendedHandshake({
      m: { ut_metadata: 2, ut_pex: 1 },
      client: 'actorrent 0.1.0',
      listenPort: 6881,
      requestQueue: 250,
      yourIp: Buffer.from([10, 0, 0, 7]),
      metadataSize: 31_235,
      completeAgo: -1,
      uploadOnly: true,
    });
    const h = decodeExtendedHandshake(payload);
    assert.deepEqual([...h.m], [['ut_metadata', 2], ['ut_pex', 1]]);
    assert.equal(h.client, 'actorrent 0.1.0');
    assert.equal(h.listenPort, 6881);
    assert.equal(h.requestQueue, 250);
    assert.equal(h.yourIp, '10.0.0.7');
    assert.equal(h.metadataSize, 31_235);
    assert.equal(h.completeAgo, -1);
    assert.equal(h.uploadOnly, true);
  });

  test('libtorrent-style extras are ignored; a disabled extension (id 0) is left out', () => {
    const h = decodeExtendedHandshake(
      encode({ m: { lt_donthave: 7, ut_holepunch: 0, upload_only: 3 }, e: 0, ipv4: Buffer.from([1, 2, 3, 4]), v: 'libtorrent 2.0.8.0', yourip: Buffer.alloc(16, 0) }),
    );
    assert.deepEqual([...h.m], [['lt_donthave', 7], ['upload_only', 3]]);
    assert.equal(h.client, 'libtorrent 2.0.8.0');
    assert.equal(h.yourIp, '::');
  });

  test('malformed optional fields are ignored, not fatal', () => {
    const h = decodeExtendedHandshake(
      encode({ m: 'not a dict', p: 70_000, reqq: -5, metadata_size: 'big', yourip: Buffer.alloc(5), v: Buffer.from('\u0007evil\u001b[2J') }),
    );
    assert.equal(h.m.size, 0);
    assert.equal(h.listenPort, undefined);
    assert.equal(h.requestQueue, undefined);
    assert.equal(h.metadataSize, undefined);
    assert.equal(h.yourIp, undefined);
    assert.equal(h.client, 'evil[2J', 'control characters are stripped from the client name');
  });

  test('ids out of a byte and overlong names in m are skipped', () => {
    const h = decodeExtendedHandshake(encode({ m: { a: 256, b: -1, ['x'.repeat(65)]: 1, ok: 255 } }));
    assert.deepEqual([...h.m], [['ok', 255]]);
  });

  test('a payload that is not a bencoded dictionary is an ExtensionError', () => {
    assert.throws(() => decodeExtendedHandshake(Buffer.from('d1:m')), (err) => err instanceof ExtensionError && err.code === 'invalid-bencoding');
    assert.throws(() => decodeExtendedHandshake(encode([1, 2])), (err) => err instanceof ExtensionError && err.code === 'not-a-dict');
  });
});
