import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decode, isBDict } from '../../../src/protocol/bencode/index.js';
import { describePeerId, FrameDecoder, type WireMessage } from '../../../src/protocol/wire/index.js';

// See test/fixtures/wire/README.md for how these bytes were captured from libtorrent 2.0.8.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/wire/${name}`, import.meta.url));
const INFO_HASH = '0713294a1952c792a947960066fc3c3b7d0dc8a6';

/** The torrent's content: sha256("0") ‖ sha256("1") ‖ … cut to 300,000 bytes. */
function torrentContent(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < 300_000; i++) parts.push(createHash('sha256').update(String(i)).digest());
  return Buffer.concat(parts).subarray(0, 300_000);
}

function checkHello(messages: WireMessage[]) {
  const [handshake, extended, haveAll, unchoke] = messages;
  assert.ok(handshake?.type === 'handshake');
  assert.equal(handshake.infoHash.toString('hex'), INFO_HASH);
  assert.deepEqual(handshake.flags, { extensionProtocol: true, fastExtension: true, dht: true });
  assert.equal(handshake.reserved.toString('hex'), '0000000000100005');
  assert.deepEqual(describePeerId(handshake.peerId), { client: 'libtorrent (Rasterbar)', version: '2.0.8' });

  assert.ok(extended?.type === 'extended');
  assert.equal(extended.id, 0);
  const dict = decode(extended.payload);
  assert.ok(isBDict(dict));
  const m = dict['m'];
  assert.ok(isBDict(m), 'extended handshake has an m dictionary');
  assert.equal(m['ut_metadata'], 2);
  assert.equal(m['ut_pex'], 1);
  assert.deepEqual(dict['v'], Buffer.from('libtorrent/2.0.8.0'));
  assert.deepEqual(dict['yourip'], Buffer.from([127, 0, 0, 1]));

  // Both sides set the fast bit, so a seeder announces itself with have-all instead of a bitfield.
  assert.deepEqual(haveAll, { type: 'have-all' });
  assert.deepEqual(unchoke, { type: 'unchoke' });
}

test('golden: libtorrent seeder hello (handshake, extended handshake, have-all, unchoke)', () => {
  const bytes = fixture('libtorrent-seeder-hello.bin');
  const decoder = new FrameDecoder({ expectHandshake: true });
  const messages = decoder.push(bytes);
  checkHello(messages);
  assert.equal(messages.length, 4);
  assert.equal(decoder.bufferedBytes, 0);
});

test('golden: the same hello decodes identically fed one byte at a time', () => {
  const bytes = fixture('libtorrent-seeder-hello.bin');
  const decoder = new FrameDecoder({ expectHandshake: true });
  const messages: WireMessage[] = [];
  for (let i = 0; i < bytes.length; i++) messages.push(...decoder.push(bytes.subarray(i, i + 1)));
  checkHello(messages);
});

test('golden: libtorrent answers interested + two requests with allowed-fast, unchoke and the right blocks', () => {
  const messages = new FrameDecoder({ expectHandshake: true }).push(fixture('libtorrent-seeder-request.bin'));
  checkHello(messages);
  const rest = messages.slice(4);
  const allowedFast = rest.filter((m) => m.type === 'allowed-fast').map((m) => (m.type === 'allowed-fast' ? m.index : -1));
  assert.equal(allowedFast.length, 5);
  assert.ok(allowedFast.every((i) => i >= 0 && i < 10));
  const pieces = rest.filter((m) => m.type === 'piece');
  assert.equal(pieces.length, 2);
  const content = torrentContent();
  const expected = [
    { index: 0, begin: 0, start: 0, length: 16384 },
    { index: 9, begin: 0, start: 9 * 32768, length: 5088 },
  ];
  pieces.forEach((p, n) => {
    const want = expected[n]!;
    assert.ok(p.type === 'piece');
    assert.equal(p.index, want.index);
    assert.equal(p.begin, want.begin);
    assert.ok(p.block.equals(content.subarray(want.start, want.start + want.length)), `block ${n} matches the file`);
  });
});
