import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveBuffer } from '../../../src/engine/utp/receive-buffer.js';
import { sackedSeqs } from '../../../src/protocol/utp/index.js';

const b = (s: string) => Buffer.from(s);
const delivered = (a: ReturnType<ReceiveBuffer['accept']>) => (a.kind === 'delivered' ? a.payloads.map(String).join('') : a.kind);

test('packets reordered across the 16-bit wrap are delivered in order, once', () => {
  const r = new ReceiveBuffer(0xfffd, 64);
  assert.equal(delivered(r.accept(0xffff, b('C'), false)), 'buffered');
  assert.equal(delivered(r.accept(0x0001, b('E'), false)), 'buffered');
  assert.deepEqual(sackedSeqs(r.ackNr, r.sack()!), [0xffff, 0x0001]);
  assert.equal(delivered(r.accept(0xfffe, b('B'), false)), 'BC');
  assert.equal(r.ackNr, 0xffff);
  assert.equal(delivered(r.accept(0x0000, b('D'), false)), 'DE');
  assert.equal(r.ackNr, 0x0001);
  assert.equal(r.sack(), undefined);
  assert.equal(delivered(r.accept(0xffff, b('C'), false)), 'duplicate', 'a retransmission of what we have');
  assert.equal(r.bufferedBytes, 0);
});

test('a packet further ahead than the reorder limit is dropped; so is anything past the FIN', () => {
  const r = new ReceiveBuffer(100, 8);
  assert.equal(delivered(r.accept(109, b('x'), false)), 'out-of-window');
  assert.equal(delivered(r.accept(103, b(''), true)), 'buffered');
  assert.equal(delivered(r.accept(105, b('late'), false)), 'out-of-window');
  assert.equal(delivered(r.accept(102, b('b'), false)), 'buffered');
  const last = r.accept(101, b('a'), false);
  assert.equal(delivered(last), 'ab');
  assert.ok(last.kind === 'delivered' && last.fin, 'the FIN is reached once the gap before it is filled');
  assert.ok(r.finReached);
});

test('the held bytes are bounded by the reorder limit whatever arrives', () => {
  const r = new ReceiveBuffer(0, 16);
  for (let seq = 2; seq < 5000; seq++) r.accept(seq & 0xffff, Buffer.alloc(1000), false);
  assert.ok(r.bufferedPackets <= 16);
  assert.ok(r.bufferedBytes <= 16 * 1000);
});
