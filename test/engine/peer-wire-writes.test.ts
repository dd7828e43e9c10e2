import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { systemClock } from '../../src/env/clock.js';
import { tcpTransport } from '../../src/env/transport.js';
import { encodeMessage } from '../../src/protocol/wire/index.js';

/** Counts the writes a socket hands to its handle (each one system call). */
function countHandleWrites(socket: net.Socket): { count: number } {
  const counter = { count: 0 };
  const internals = socket as unknown as { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const [write, writev] = [internals._write.bind(socket), internals._writev.bind(socket)];
  internals._write = (...args) => {
    counter.count++;
    write(...args);
  };
  internals._writev = (...args) => {
    counter.count++;
    writev(...args);
  };
  return counter;
}

test('messages a TCP wire sends in one turn of the event loop leave in one write; later ones are not held', { timeout: 20_000 }, async () => {
  const received: Buffer[] = [];
  const server = net.createServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = (await tcpTransport.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, timeoutMs: 5000 })) as net.Socket;
  const wire = new PeerWire(socket, { clock: systemClock, expectHandshake: false });
  const writes = countHandleWrites(socket);
  const total = () => received.reduce((sum, chunk) => sum + chunk.length, 0);
  const until = async (bytes: number) => {
    const deadline = Date.now() + 5000;
    while (total() < bytes && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  try {
    // A verified piece's `have` to a peer, the requests it frees, and a block, all in one turn.
    for (let index = 0; index < 40; index++) wire.send({ type: 'have', index });
    wire.sendAll([{ type: 'request', index: 1, begin: 0, length: 16384 }, { type: 'request', index: 1, begin: 16384, length: 16384 }]);
    wire.sendBlock(2, 0, Buffer.alloc(16384, 7));
    const expected = Buffer.concat([
      ...Array.from({ length: 40 }, (_, index) => encodeMessage({ type: 'have', index })),
      encodeMessage({ type: 'request', index: 1, begin: 0, length: 16384 }),
      encodeMessage({ type: 'request', index: 1, begin: 16384, length: 16384 }),
      encodeMessage({ type: 'piece', index: 2, begin: 0, block: Buffer.alloc(16384, 7) }),
    ]);
    await until(expected.length);
    assert.deepEqual(Buffer.concat(received), expected, 'every message, in order');
    assert.equal(writes.count, 1, 'one write for the whole turn');

    // The next turn's message is sent on its own, without waiting for anything else.
    wire.send({ type: 'have', index: 99 });
    await until(expected.length + 9);
    assert.deepEqual(Buffer.concat(received).subarray(expected.length), encodeMessage({ type: 'have', index: 99 }));
    assert.equal(writes.count, 2);
  } finally {
    wire.close('test done');
    server.close();
  }
});
