import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ST_DATA,
  ST_STATE,
  ST_SYN,
  UtpDecodeError,
  buildSack,
  decodeUtpPacket,
  encodeUtpPacket,
  looksLikeUtp,
  sackedSeqs,
  seqAdd,
  seqDistance,
  seqLess,
  u32Less,
} from '../../../src/protocol/utp/index.js';
import { classifyDatagram } from '../../../src/env/udp-ports.js';

const header = { type: ST_DATA, connectionId: 0xbeef, timestampMicros: 0xfffffff0, timestampDiffMicros: 12345, windowSize: 1 << 20, seqNr: 0xffff, ackNr: 7 } as const;

test('a header round-trips field by field, and the payload is a view of the datagram', () => {
  const payload = Buffer.from('hello uTP');
  const datagram = encodeUtpPacket(header, payload);
  assert.equal(datagram.length, 20 + payload.length);
  assert.equal(datagram[0], 0x01, 'ST_DATA, version 1');
  const packet = decodeUtpPacket(datagram);
  assert.deepEqual({ ...packet, payload: undefined }, { ...header, payload: undefined });
  assert.equal(packet.payload.toString(), 'hello uTP');
  assert.equal(packet.payload.buffer, datagram.buffer, 'not copied');
});

test('a BEP 29 SYN as libtorrent sends it decodes (bytes written out by hand)', () => {
  // type 4 version 1, no extension, conn id 0x1234, ts, ts diff 0, wnd 0x00100000, seq 0x0001, ack 0.
  const syn = Buffer.from('41001234' + '00000064' + '00000000' + '00100000' + '0001' + '0000', 'hex');
  const p = decodeUtpPacket(syn);
  assert.equal(p.type, ST_SYN);
  assert.equal(p.connectionId, 0x1234);
  assert.equal(p.timestampMicros, 100);
  assert.equal(p.windowSize, 0x100000);
  assert.equal(p.seqNr, 1);
  assert.equal(p.payload.length, 0);
});

test('the selective ack: bit k is ack_nr + 2 + k, least significant bit first, across the wrap', () => {
  const sack = buildSack(40, (k) => k === 0 || k === 9 || k === 33)!;
  assert.equal(sack.length, 8, 'rounded up to a multiple of 4 bytes');
  assert.deepEqual([...sack.subarray(0, 2)], [0b0000_0001, 0b0000_0010]);
  const datagram = encodeUtpPacket({ ...header, type: ST_STATE, ackNr: 0xfffe }, undefined, sack);
  const p = decodeUtpPacket(datagram);
  assert.deepEqual(p.sack, sack);
  assert.deepEqual(sackedSeqs(p.ackNr, p.sack!), [0, 9, 33], '0xfffe + 2 wraps to 0');
  assert.equal(buildSack(10, () => false), undefined, 'nothing received: no extension');
});

test('unknown extensions are skipped; the payload starts after the chain', () => {
  // extension 2 (8 bytes, as libutp sends in its SYN), then a selective ack of 4 bytes.
  const head = encodeUtpPacket({ ...header });
  head[1] = 2;
  const chain = Buffer.from([1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0xff, 0, 0, 0]);
  const p = decodeUtpPacket(Buffer.concat([head, chain, Buffer.from('xy')]));
  assert.deepEqual([...p.sack!], [0xff, 0, 0, 0]);
  assert.equal(p.payload.toString(), 'xy');
});

test('a selective ack of any length is read, as libtorrent sends (span + 7) / 8 bytes', () => {
  const head = encodeUtpPacket({ ...header, type: ST_STATE, ackNr: 10 });
  head[1] = 1;
  const p = decodeUtpPacket(Buffer.concat([head, Buffer.from([0, 3, 0b101, 0, 0x80])]));
  assert.deepEqual(sackedSeqs(p.ackNr, p.sack!), [12, 14, 35]);
  assert.equal(p.payload.length, 0);
});

test('hostile packets fail with a UtpDecodeError naming the problem, and nothing else', () => {
  const good = encodeUtpPacket(header);
  const cases: [Buffer, string][] = [
    [good.subarray(0, 19), 'utp-short'],
    [Buffer.from([0x02, ...good.subarray(1)]), 'utp-version'],
    [Buffer.from([0x51, ...good.subarray(1)]), 'utp-type'],
    [Buffer.from([0x01, 1, ...good.subarray(2)]), 'utp-extension'],
    [Buffer.concat([Buffer.from([0x01, 1, ...good.subarray(2)]), Buffer.from([0, 200, 1, 2])]), 'utp-extension'],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(() => decodeUtpPacket(bytes), (err: unknown) => err instanceof UtpDecodeError && err.code === code, code);
  }
});

test('sequence numbers compare the short way round the 16-bit circle', () => {
  assert.equal(seqAdd(0xffff, 1), 0);
  assert.equal(seqAdd(0, -1), 0xffff);
  assert.equal(seqDistance(0xfff0, 0x0010), 0x20);
  assert.ok(seqLess(0xfff0, 0x0010));
  assert.ok(!seqLess(0x0010, 0xfff0));
  assert.ok(!seqLess(5, 5));
  assert.ok(u32Less(0xffffff00, 0x10));
  assert.ok(!u32Less(0x10, 0xffffff00));
});

test('the port demultiplexer tells KRPC from uTP by the first byte', () => {
  assert.equal(classifyDatagram(Buffer.from('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe')), 'krpc');
  assert.equal(classifyDatagram(encodeUtpPacket(header)), 'utp');
  assert.equal(classifyDatagram(encodeUtpPacket({ ...header, type: ST_SYN })), 'utp');
  assert.equal(classifyDatagram(Buffer.from([0x01, 0, 0])), undefined, 'too short for a uTP header');
  assert.equal(classifyDatagram(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
  assert.ok(!looksLikeUtp(Buffer.alloc(20, 0x64)));
});
