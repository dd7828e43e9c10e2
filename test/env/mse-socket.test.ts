import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerWire } from '../../src/engine/peer-wire.js';
import { systemClock } from '../../src/env/clock.js';
import { EncryptedSocket } from '../../src/env/mse-socket.js';
import { readTransiently } from '../../src/env/transient-reads.js';
import { type PeerSocket, tcpTransport } from '../../src/env/transport.js';
import { Rc4 } from '../../src/protocol/mse/index.js';
import { type WireMessage } from '../../src/protocol/wire/index.js';
import { until } from '../support/until.js';

/**
 * An RC4 stream over real TCP sockets of the transport (which read into the shared buffer): each
 * read is decrypted where it lies and handed to the peer wire as a view, ciphertext buffers are
 * reused after the kernel has them, and pausing the wire stops the socket under it.
 */

const [keyA, keyB] = [Buffer.alloc(20, 0xa1), Buffer.alloc(20, 0xb2)];

/** Both ends of a TCP connection, each wrapped as after an MSE handshake that selected RC4. */
async function encryptedPair(): Promise<{ dialled: EncryptedSocket; accepted: EncryptedSocket; close(): Promise<void> }> {
  const accepted: PeerSocket[] = [];
  const listener = await tcpTransport.listen({ host: '127.0.0.1', port: 0 }, (socket) => accepted.push(socket));
  const raw = await tcpTransport.connect({ host: '127.0.0.1', port: listener.port, timeoutMs: 5000 });
  while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const dialled = new EncryptedSocket(raw, 'rc4', new Rc4(keyA), new Rc4(keyB), Buffer.alloc(0));
  const other = new EncryptedSocket(accepted[0]!, 'rc4', new Rc4(keyB), new Rc4(keyA), Buffer.alloc(0));
  return {
    dialled,
    accepted: other,
    close: async () => {
      dialled.destroy();
      other.destroy();
      await listener.close();
    },
  };
}

test('blocks sent over RC4 across many turns arrive right, handed to the wire as views', { timeout: 30_000 }, async () => {
  const { dialled, accepted, close } = await encryptedPair();
  // Asked before the wire takes the views (a second reader replaces the first).
  assert.equal(readTransiently(dialled, () => undefined), true, 'the encrypted stream offers views');
  const sender = new PeerWire(accepted, { clock: systemClock, expectHandshake: false });
  const receiver = new PeerWire(dialled, { clock: systemClock, expectHandshake: false });
  try {
    const wrong: number[] = [];
    let blocks = 0;
    receiver.messages$.subscribe((message: WireMessage) => {
      if (message.type !== 'piece') return;
      if (!message.block.equals(Buffer.alloc(16384, message.index & 0xff))) wrong.push(message.index);
      blocks++;
    });
    // 1 600 blocks (25 MiB) in bursts of 8, one turn's batch each: small enough for the pooled
    // ciphertext buffers, so they are reused from turn to turn. (A buffer reused while the socket
    // still queues it is what the next test provokes: its writes wait behind a paused reader.)
    receiver.pauseReading();
    for (let burst = 0; burst < 200; burst++) {
      for (let k = 0; k < 8; k++) {
        const index = burst * 8 + k;
        sender.sendBlock(index, 0, Buffer.alloc(16384, index & 0xff));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    receiver.resumeReading();
    await until(() => blocks === 1600, { what: () => `every block (${blocks} so far, ${wrong.length} wrong)`, intervalMs: 5 });
    assert.deepEqual(wrong, [], 'blocks that arrived wrong');
  } finally {
    sender.close('test done');
    receiver.close('test done');
    await close();
  }
});

test('a paused encrypted wire stops reading its socket: a sender cannot fill our memory, and what waited arrives intact', { timeout: 30_000 }, async () => {
  const { dialled, accepted, close } = await encryptedPair();
  const receiver = new PeerWire(dialled, { clock: systemClock, expectHandshake: false });
  const block = Buffer.alloc(16384, 1);
  try {
    let received = 0;
    let wrong = 0;
    receiver.messages$.subscribe((message: WireMessage) => {
      if (message.type !== 'piece') return;
      received += message.block.length;
      if (!message.block.equals(block)) wrong++;
    });
    await new Promise((resolve) => setImmediate(resolve));
    receiver.pauseReading();
    // 64 MiB of blocks offered to a reader that has paused: past the kernel's buffers the sender's
    // socket queues ciphertext, which a pooled buffer reused too early would corrupt.
    for (let index = 0; index < 4096; index++) accepted.write(Buffer.concat([Buffer.from([0, 0, 0x40, 0x09, 7]), Buffer.alloc(8), block]));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(received <= 4 << 20, `${received} bytes read while paused`);
    receiver.resumeReading();
    await until(() => received === 4096 * 16384, { what: 'every block after resuming', intervalMs: 5 });
    assert.equal(wrong, 0, 'blocks that arrived wrong');
  } finally {
    receiver.close('test done');
    await close();
  }
});
