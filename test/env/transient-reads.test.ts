import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { systemClock } from '../../src/env/clock.js';
import { readTransiently } from '../../src/env/transient-reads.js';
import { tcpTransport } from '../../src/env/transport.js';
import { type WireMessage, encodeMessage } from '../../src/protocol/wire/index.js';

/**
 * Dialled TCP sockets read into one reused buffer: the peer wire's blocks are views valid while
 * dispatched, every other message keeps its own bytes, and a socket accepted by a server (no such
 * buffer) is left as it is.
 */
test('a dialled socket reads into a reused buffer: blocks are right while dispatched, other messages keep their bytes', { timeout: 20_000 }, async () => {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const socket = await tcpTransport.connect({ host: '127.0.0.1', port, timeoutMs: 5000 });
  const wire = new PeerWire(socket, { clock: systemClock, expectHandshake: false });
  try {
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const remote = accepted[0]!;
    assert.equal(readTransiently(remote, () => undefined), false, 'an accepted socket has no reused buffer');

    const kept: WireMessage[] = [];
    const blocksAtDispatch: Buffer[] = [];
    wire.messages$.subscribe((message) => {
      kept.push(message);
      if (message.type === 'piece') blocksAtDispatch.push(Buffer.from(message.block));
    });
    const bitfield = Buffer.from([0xa5, 0x5a, 0xff]);
    const extension = Buffer.from('d1:md6:ut_pexi1eee');
    const blocks = [0x11, 0x22, 0x33].map((fill) => Buffer.alloc(16384, fill));
    // Each batch lands in the same read buffer as the one before.
    for (const batch of [[{ type: 'bitfield' as const, bitfield }, { type: 'extended' as const, id: 0, payload: extension }], ...blocks.map((block, i) => [{ type: 'piece' as const, index: i, begin: 0, block }])]) {
      remote.write(Buffer.concat(batch.map((m) => encodeMessage(m))));
      const expected = kept.length + batch.length;
      while (kept.length < expected) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(blocksAtDispatch, blocks, 'each block was right when it was handed on');
    const keptBitfield = kept.find((m) => m.type === 'bitfield');
    const keptExtension = kept.find((m) => m.type === 'extended');
    assert.deepEqual(keptBitfield?.type === 'bitfield' && keptBitfield.bitfield, bitfield, 'the bitfield survives later reads');
    assert.deepEqual(keptExtension?.type === 'extended' && keptExtension.payload, extension, 'the extension payload survives later reads');
  } finally {
    wire.close('test done');
    accepted.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  }
});

test('bytes that reach a dialled socket before anyone reads it wait, in order, for the peer wire', { timeout: 20_000 }, async () => {
  const greeting = Buffer.concat([encodeMessage({ type: 'have', index: 7 }), encodeMessage({ type: 'unchoke' })]);
  const server = net.createServer((socket) => socket.write(greeting));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = await tcpTransport.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, timeoutMs: 5000 });
  // Nobody reads for a while: the greeting arrives meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const wire = new PeerWire(socket, { clock: systemClock, expectHandshake: false });
  const received: WireMessage[] = [];
  wire.messages$.subscribe((m) => received.push(m));
  try {
    const deadline = Date.now() + 5000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(received, [{ type: 'have', index: 7 }, { type: 'unchoke' }]);
  } finally {
    wire.close('test done');
    server.close();
  }
});
