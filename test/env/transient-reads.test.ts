import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { systemClock } from '../../src/env/clock.js';
import { readTransiently } from '../../src/env/transient-reads.js';
import { type PeerSocket, tcpTransport } from '../../src/env/transport.js';
import { type WireMessage, encodeMessage } from '../../src/protocol/wire/index.js';

/**
 * TCP sockets of the transport, dialled or accepted, read into one reused buffer: the peer wire's
 * blocks are views valid while dispatched, every other message keeps its own bytes, and a socket
 * accepted by some other server is left as it is.
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

/** A connection accepted by the transport's listener, with the dialling end. */
async function acceptedPair(): Promise<{ accepted: PeerSocket; dialler: net.Socket; close(): Promise<void> }> {
  const accepted: PeerSocket[] = [];
  const listener = await tcpTransport.listen({ host: '127.0.0.1', port: 0 }, (socket) => accepted.push(socket));
  const dialler = net.connect(listener.port, '127.0.0.1');
  await new Promise((resolve) => dialler.once('connect', resolve));
  while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    accepted: accepted[0]!,
    dialler,
    close: async () => {
      dialler.destroy();
      accepted[0]!.destroy();
      await listener.close();
    },
  };
}

test('a socket accepted by the transport reads into the reused buffer too, after what came before the wire', { timeout: 20_000 }, async () => {
  const { accepted, dialler, close } = await acceptedPair();
  try {
    // Read as a handshake reader would, before the wire: an ordinary readable socket.
    dialler.write(encodeMessage({ type: 'have', index: 3 }));
    const early = await new Promise<Buffer>((resolve) => accepted.once('data', resolve));
    assert.deepEqual(early, encodeMessage({ type: 'have', index: 3 }));
    accepted.pause();
    // Arrives while nobody reads: waits in the socket, then goes first to the wire.
    dialler.write(encodeMessage({ type: 'have', index: 4 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(readTransiently(accepted, () => undefined), true, 'the accepted socket reads into the shared buffer');
    const wire = new PeerWire(accepted, { clock: systemClock, expectHandshake: false });
    const kept: WireMessage[] = [];
    const blocksAtDispatch: Buffer[] = [];
    wire.messages$.subscribe((message) => {
      kept.push(message);
      if (message.type === 'piece') blocksAtDispatch.push(Buffer.from(message.block));
    });
    const blocks = [0x44, 0x55].map((fill) => Buffer.alloc(16384, fill));
    for (const [i, block] of blocks.entries()) {
      dialler.write(encodeMessage({ type: 'piece', index: i, begin: 0, block }));
      while (kept.length < 2 + i) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(kept[0], { type: 'have', index: 4 });
    assert.deepEqual(blocksAtDispatch, blocks, 'each block was right when it was handed on');
    wire.close('test done');
  } finally {
    await close();
  }
});

test('an accepted socket nobody reads stops reading at its buffer\'s limit: a sender cannot fill our memory', { timeout: 20_000 }, async () => {
  const { accepted, dialler, close } = await acceptedPair();
  try {
    // Nobody reads (not paused either: pausing stops the reads outright). 64 MiB offered; the kernel's buffers and ours take a few MiB, the rest must wait at the sender.
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 64; i++) dialler.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(accepted.readableLength <= 1 << 20, `${accepted.readableLength} bytes buffered unread`);
    assert.ok(dialler.writableLength >= 32 << 20, `only ${dialler.writableLength} bytes still wait at the sender`);
  } finally {
    await close();
  }
});
