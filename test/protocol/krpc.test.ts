/**
 * The KRPC codec (BEP 5): the spec's own examples byte for byte, round trips of every message,
 * BEP 32 nodes6, BEP 42 `ip`, BEP 43 `ro`, unknown keys ignored, and typed errors (with the
 * transaction id when a bad query can be answered).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KrpcError, type KrpcMessage, MAX_KRPC_BYTES, decodeKrpc, encodeKrpc } from '../../src/protocol/krpc/index.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const ID = latin1('abcdefghij0123456789');
const HASH = latin1('mnopqrstuvwxyz123456');

test('the BEP 5 examples encode to the bytes the spec gives, and decode back', () => {
  const examples: [KrpcMessage, string][] = [
    [{ y: 'q', t: latin1('aa'), query: { method: 'ping', id: ID } }, 'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe'],
    [{ y: 'r', t: latin1('aa'), response: { id: latin1('mnopqrstuvwxyz123456') } }, 'd1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re'],
    [{ y: 'q', t: latin1('aa'), query: { method: 'find_node', id: ID, target: HASH } }, 'd1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe'],
    [{ y: 'q', t: latin1('aa'), query: { method: 'get_peers', id: ID, infoHash: HASH } }, 'd1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe'],
    [
      { y: 'q', t: latin1('aa'), query: { method: 'announce_peer', id: ID, infoHash: HASH, port: 6881, impliedPort: true, token: latin1('aoeusnth') } },
      'd1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe',
    ],
    [{ y: 'e', t: latin1('aa'), code: 201, message: 'A Generic Error Ocurred' }, 'd1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee'],
  ];
  for (const [message, bytes] of examples) {
    assert.equal(encodeKrpc(message).toString('latin1'), bytes);
    assert.deepEqual(decodeKrpc(latin1(bytes)), message);
  }
  // The spec's get_peers answer with values (compact peers "axje.u" and "idhtnm").
  const withValues = decodeKrpc(latin1('d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re'));
  assert.ok(withValues.y === 'r');
  assert.deepEqual(withValues.response.values, [
    { host: '97.120.106.101', port: 0x2e75 },
    { host: '105.100.104.116', port: 0x6e6d },
  ]);
});

test('nodes, nodes6 (BEP 32), ip (BEP 42) and ro (BEP 43) round-trip; unknown keys are ignored', () => {
  const message: KrpcMessage = {
    y: 'r',
    t: latin1('xy'),
    response: {
      id: ID,
      nodes: [{ id: HASH, host: '10.1.2.3', port: 6881 }],
      nodes6: [{ id: ID, host: '2001:db8::7', port: 51413 }],
      values: [{ host: '127.0.0.1', port: 1 }, { host: '::1', port: 2 }],
      token: latin1('tok'),
    },
    ip: { host: '192.0.2.9', port: 4242 },
  };
  assert.deepEqual(decodeKrpc(encodeKrpc(message)), message);
  const readOnly: KrpcMessage = { y: 'q', t: latin1('r1'), query: { method: 'ping', id: ID }, readOnly: true };
  assert.ok(encodeKrpc(readOnly).includes(latin1('2:roi1e')));
  assert.deepEqual(decodeKrpc(encodeKrpc(readOnly)), readOnly);
  const extra = latin1('d1:ad2:id20:abcdefghij01234567894:wantl2:n4e3:zzzi1ee1:q4:ping1:t2:aa1:v4:LT201:y1:q3:zzz3:abce');
  assert.deepEqual(decodeKrpc(extra), { y: 'q', t: latin1('aa'), query: { method: 'ping', id: ID }, version: latin1('LT20') });
  // An unknown method decodes (and is answered with 204 by the node).
  const unknown = decodeKrpc(latin1('d1:ad2:id20:abcdefghij0123456789e1:q6:vote!!1:t2:aa1:y1:qe'));
  assert.ok(unknown.y === 'q' && unknown.query.method === 'unknown' && unknown.query.name === 'vote!!');
});

test('malformed messages are KrpcErrors; a bad query keeps its transaction id so it can be answered', () => {
  const bad = (text: string | Buffer, code: string, answerable = false) => {
    assert.throws(
      () => decodeKrpc(typeof text === 'string' ? latin1(text) : text),
      (err: unknown) => err instanceof KrpcError && err.code === code && (answerable ? err.wasQuery && err.transactionId !== undefined : true),
      `${String(text).slice(0, 60)} → ${code}`,
    );
  };
  bad('le', 'not-a-dict');
  bad('d1:y1:qe', 'invalid-transaction-id');
  bad('d1:t2:aa1:y1:xe', 'invalid-type');
  bad('d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe', 'invalid-argument', true);
  bad('d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881ee1:q13:announce_peer1:t2:aa1:y1:qe', 'invalid-argument', true);
  bad('d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe', 'invalid-argument', true);
  bad('d1:rd2:id20:abcdefghij01234567895:nodes5:abcdee1:t2:aa1:y1:re', 'invalid-response');
  bad('d1:rd2:id20:abcdefghij01234567896:valuesl3:abcee1:t2:aa1:y1:re', 'invalid-response');
  bad('d1:eli201ee1:t2:aa1:y1:ee', 'invalid-error');
  bad('d1:t2:aa1:y1:q1:zi1e1:ai1ee', 'invalid-bencode'); // unsorted keys: not strict bencode
  bad(Buffer.alloc(MAX_KRPC_BYTES + 1, 0x64), 'too-long');
});
