import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import type { Session } from '../../src/session.js';
import {
  CRYPTO_RC4,
  DH_PRIME,
  MseInitiator,
  bytesFromBigint,
  dhKeyPair,
  dhSecret,
  mseCiphers,
  req1Hash,
  req2Hash,
  req3Hash,
  xor20,
} from '../../src/protocol/mse/index.js';
import { encodeHandshake } from '../../src/protocol/wire/index.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { RAW_PEER_ID, startSession } from './harness.js';

/**
 * Hostile encrypted handshakes against a real listening session (encryption `prefer`): each is
 * closed with a reason (the server's `rejected` event), never left hanging, and never costs more
 * than the spec's bounded reads.
 */

const payloadReady = makePayload({ multiFile: false, size: 32 * 1024, pieceLength: 16384 });

async function withSession(options: { handshakeTimeoutMs?: number }, body: (session: Session, infoHash: Buffer) => Promise<void>) {
  const payload = await payloadReady;
  const session = await startSession({ encryption: 'prefer', ...options });
  try {
    session.add(payload.meta, { downloadDir: payload.dir('down'), noTrackers: true });
    await body(session, payload.meta.infoHash);
  } finally {
    await session.close();
  }
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextRejection(session: Session): Promise<string> {
  const event = firstValueFrom(session.serverEvents$.pipe(filter((e) => e.type === 'rejected')));
  return withTimeout(event, 10_000, 'a rejection').then((e) => (e as { reason: string }).reason);
}

/** Everything the server sends until it closes the connection (or the time runs out). */
function untilClosed(socket: net.Socket, ms = 10_000): Promise<Buffer> {
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  socket.on('error', () => undefined);
  return withTimeout(new Promise<Buffer>((resolve) => socket.once('close', () => resolve(Buffer.concat(received)))), ms, 'the server closing the connection');
}

for (const [name, value] of [['0', 0n], ['1', 1n], ['P-1', DH_PRIME - 1n], ['P', DH_PRIME], ['2^768-1', (1n << 768n) - 1n]] as const) {
  test(`a DH public key of ${name} is refused with a reason`, async () => {
    await withSession({}, async (session) => {
      const socket = await dial(session.port);
      const rejected = nextRejection(session);
      const closed = untilClosed(socket);
      // Make sure the first byte is not 19, so the bytes are not taken for a plaintext handshake.
      socket.write(bytesFromBigint(value));
      assert.match(await rejected, /encrypted handshake: the peer's Diffie-Hellman public key is/);
      assert.equal((await closed).length, 0, 'nothing sent back');
    });
  });
}

test('a handshake that never shows HASH(req1, S) is closed after at most 628 bytes, though the peer keeps sending', async () => {
  await withSession({}, async (session) => {
    const socket = await dial(session.port);
    const rejected = nextRejection(session);
    const closed = untilClosed(socket);
    const { publicKey } = dhKeyPair(randomBytes(20));
    socket.write(publicKey);
    const junk = setInterval(() => socket.writable && socket.write(randomBytes(100)), 5);
    try {
      assert.match(await rejected, /no HASH\('req1', S\) within 628 bytes/);
      const reply = await closed;
      assert.ok(reply.length >= 96 && reply.length <= 96 + 512, `B answered with Yb and PadB only (${reply.length} bytes)`);
    } finally {
      clearInterval(junk);
    }
  });
});

/** A hand-made side A over the socket: step 1, then step 3 with the given fields. */
async function handMadeA(socket: net.Socket, skey: Buffer, fields: { padC?: number; vc?: Buffer }) {
  const a = dhKeyPair(randomBytes(20));
  socket.write(a.publicKey);
  const yb = await new Promise<Buffer>((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 96) {
        socket.off('data', onData);
        resolve(got.subarray(0, 96));
      }
    };
    socket.on('data', onData);
  });
  const secret = dhSecret(a.privateKey, yb);
  const { encrypt } = mseCiphers('A', secret, skey);
  const header = Buffer.alloc(16);
  (fields.vc ?? Buffer.alloc(8)).copy(header);
  header.writeUInt32BE(CRYPTO_RC4, 8);
  header.writeUInt16BE(fields.padC ?? 0, 12);
  socket.write(Buffer.concat([req1Hash(secret), xor20(req2Hash(skey), req3Hash(secret)), encrypt.update(header)]));
}

test('oversized PadC is refused', async () => {
  await withSession({}, async (session, infoHash) => {
    const socket = await dial(session.port);
    const rejected = nextRejection(session);
    const closed = untilClosed(socket);
    await handMadeA(socket, infoHash, { padC: 600 });
    assert.match(await rejected, /PadC of 600 bytes \(at most 512\)/);
    await closed;
  });
});

test('a wrong verification constant is refused', async () => {
  await withSession({}, async (session, infoHash) => {
    const socket = await dial(session.port);
    const rejected = nextRejection(session);
    const closed = untilClosed(socket);
    await handMadeA(socket, infoHash, { vc: Buffer.from('0000000000000001', 'hex') });
    assert.match(await rejected, /verification constant/);
    await closed;
  });
});

test('an SKEY for a torrent we do not serve is refused', async () => {
  await withSession({}, async (session) => {
    const socket = await dial(session.port);
    const rejected = nextRejection(session);
    const closed = untilClosed(socket);
    await handMadeA(socket, randomBytes(20), {});
    assert.match(await rejected, /names no torrent we serve/);
    await closed;
  });
});

test('an encrypted handshake that stalls after Ya is closed at the handshake timeout', async () => {
  await withSession({ handshakeTimeoutMs: 400 }, async (session) => {
    const socket = await dial(session.port);
    const rejected = nextRejection(session);
    const closed = untilClosed(socket, 5000);
    socket.write(dhKeyPair(randomBytes(20)).publicKey);
    assert.match(await rejected, /handshake timed out after 400 ms \(in the encrypted handshake\)/);
    await closed;
  });
});

test('the BitTorrent handshake inside the encrypted stream must name the torrent of the SKEY', async () => {
  await withSession({}, async (session, infoHash) => {
    const socket = await dial(session.port);
    const rejected = nextRejection(session);
    const closed = untilClosed(socket);
    // A real side A whose IA is a handshake for another torrent.
    const a = new MseInitiator({
      skey: infoHash,
      randomBytes,
      cryptoProvide: CRYPTO_RC4,
      initialPayload: encodeHandshake({ infoHash: randomBytes(20), peerId: RAW_PEER_ID }),
    });
    socket.on('data', (d: Buffer) => {
      for (const out of a.push(d).send) socket.write(out);
    });
    socket.write(a.start());
    assert.match(await rejected, /names another torrent than its encrypted handshake/);
    await closed;
  });
});

test('pending encrypted handshakes count against the per-address cap like plaintext ones', async () => {
  await withSession({}, async (session) => {
    const sockets: net.Socket[] = [];
    try {
      for (let k = 0; k < 8; k++) {
        const socket = await dial(session.port);
        socket.on('error', () => undefined);
        socket.write(dhKeyPair(randomBytes(20)).publicKey);
        sockets.push(socket);
      }
      const rejected = nextRejection(session);
      const ninth = await dial(session.port);
      sockets.push(ninth);
      const closed = untilClosed(ninth);
      assert.match(await rejected, /8 connections from 127\.0\.0\.1 have not completed their handshake/);
      await closed;
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

test('cleanup', async () => (await payloadReady).cleanup());
