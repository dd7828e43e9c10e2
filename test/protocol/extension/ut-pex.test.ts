import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode, encode } from '../../../src/protocol/bencode/index.js';
import { ExtensionError } from '../../../src/protocol/extension/errors.js';
import { PEX_FLAGS, decodePexMessage, encodePexMessage } from '../../../src/protocol/extension/ut-pex.js';

const v4 = (a: number, b: number, c: number, d: number, port: number) => Buffer.from([a, b, c, d, port >> 8, port & 0xff]);
const v6loopback = (port: number) => Buffer.concat([Buffer.alloc(15), Buffer.from([1, port >> 8, port & 0xff])]);

describe('ut_pex codec (BEP 11)', () => {
  test('decodes IPv4 and IPv6 added peers with their flags, and both dropped lists', () => {
    const payload = encode({
      added: Buffer.concat([v4(10, 0, 0, 1, 6881), v4(192, 168, 1, 2, 51413)]),
      'added.f': Buffer.from([PEX_FLAGS.seed | PEX_FLAGS.reachable, PEX_FLAGS.encryption]),
      added6: v6loopback(6882),
      'added6.f': Buffer.from([PEX_FLAGS.utp | PEX_FLAGS.holepunch]),
      dropped: v4(1, 2, 3, 4, 80),
      dropped6: v6loopback(443),
    });
    const message = decodePexMessage(payload);
    assert.deepEqual(message.added, [
      { host: '10.0.0.1', port: 6881, flags: 0x12 },
      { host: '192.168.1.2', port: 51413, flags: 0x01 },
      { host: '::1', port: 6882, flags: 0x0c },
    ]);
    assert.deepEqual(message.dropped, [{ host: '1.2.3.4', port: 80 }, { host: '::1', port: 443 }]);
    assert.equal(message.skipped, 0);
  });

  test('libtorrent style: empty strings for empty lists; missing or short flags give flags 0', () => {
    const message = decodePexMessage(encode({ added: v4(10, 0, 0, 1, 1), 'added.f': Buffer.alloc(0), added6: '', dropped: '', dropped6: '' }));
    assert.deepEqual(message.added, [{ host: '10.0.0.1', port: 1, flags: 0 }]);
    assert.deepEqual(message.dropped, []);
    assert.deepEqual(decodePexMessage(encode({ added: v4(10, 0, 0, 2, 2) })).added, [{ host: '10.0.0.2', port: 2, flags: 0 }]);
  });

  test('port 0 entries are skipped and counted; reading stops at maxEntries per list', () => {
    const many = Buffer.concat(Array.from({ length: 10 }, (_, i) => v4(10, 0, 0, i, i === 3 ? 0 : 1000 + i)));
    const message = decodePexMessage(encode({ added: many, dropped: many }), { maxEntries: 5 });
    assert.deepEqual(message.added.map((p) => p.port), [1000, 1001, 1002, 1004]);
    assert.equal(message.dropped.length, 4);
    assert.equal(message.skipped, 12);
  });

  test('typed errors: not bencode, not a dict, a list of the wrong type or length', () => {
    const code = (payload: Buffer) => {
      try {
        decodePexMessage(payload);
      } catch (err) {
        assert.ok(err instanceof ExtensionError, String(err));
        return err.code;
      }
      return 'no error';
    };
    assert.equal(code(Buffer.from('d5:added')), 'invalid-bencoding');
    assert.equal(code(encode([1, 2])), 'not-a-dict');
    assert.equal(code(encode({ added: Buffer.alloc(7) })), 'invalid-field');
    assert.equal(code(encode({ dropped6: Buffer.alloc(17) })), 'invalid-field');
    assert.equal(code(encode({ added: 5 })), 'invalid-field');
    assert.equal(code(encode({ added: Buffer.alloc(0), 'added.f': [1] })), 'invalid-field');
  });

  test('encode → decode round trip; flags ride with their list; IPv4-mapped hosts go in the IPv4 list', () => {
    const added = [
      { host: '127.0.0.1', port: 6881, flags: PEX_FLAGS.reachable },
      { host: '2001:db8::7', port: 7000, flags: PEX_FLAGS.seed },
      { host: '::ffff:10.1.2.3', port: 8000, flags: 0 },
    ];
    const dropped = [{ host: '10.9.9.9', port: 9 }, { host: '::1', port: 10 }];
    const payload = encodePexMessage({ added, dropped });
    const dict = decode(payload) as Record<string, Buffer>;
    assert.deepEqual(Object.keys(dict).sort(), ['added', 'added.f', 'added6', 'added6.f', 'dropped', 'dropped6']);
    assert.equal(dict['added']!.length, 12);
    assert.deepEqual([...dict['added.f']!], [PEX_FLAGS.reachable, 0]);
    const back = decodePexMessage(payload);
    assert.deepEqual(back.added, [added[0], { host: '10.1.2.3', port: 8000, flags: 0 }, added[1]]);
    assert.deepEqual(back.dropped, dropped);
  });

  test('an empty message still holds one list (BEP 11); a list with nothing is left out', () => {
    assert.deepEqual(Object.keys(decode(encodePexMessage({ added: [], dropped: [] })) as object), ['added']);
    assert.deepEqual(Object.keys(decode(encodePexMessage({ added: [], dropped: [{ host: '::1', port: 1 }] })) as object), ['dropped6']);
    assert.throws(() => encodePexMessage({ added: [{ host: '1.2.3.4', port: 1, flags: 256 }], dropped: [] }), RangeError);
  });
});
