import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TorrentHandle } from '../../src/session.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { type TcpRawPeer, connectRawPeer } from '../support/tcp-raw-peer.js';
import { until } from '../support/until.js';
import { ClosureLog, RAW_PEER_ID, type Payload, blockOf, honestLeecher, incomingAddress, startSeeder, startSession } from './harness.js';

/**
 * A `piece` message nobody asked for is a lie (or a broken peer): whoever receives it closes the
 * connection, with the download engine's reason ("sent a block never requested: piece I at B, N
 * bytes"). A seeder is no exception: it asks for nothing, so any block it is sent is unrequested.
 * Real sessions on loopback TCP; the hostile side is a raw peer that dials the session.
 */

let payload: Payload;

before(async () => {
  payload = await makePayload({ multiFile: false, size: 1024 * 1024 - 3000, pieceLength: 32768 });
});
after(() => payload.cleanup());

const host = '127.0.0.1';
const REASON = /^sent a block never requested: piece 7 at 16384, 16384 bytes$/;

/** A raw peer that dialled `port` and got the session's handshake back; it closes nothing itself. */
async function dial(port: number): Promise<TcpRawPeer & { closedByUs: () => boolean }> {
  const raw = await connectRawPeer(port);
  let destroyedHere = false;
  const destroy = raw.destroy.bind(raw);
  raw.destroy = () => {
    destroyedHere = true;
    destroy();
  };
  raw.handshake({ infoHash: payload.meta.infoHash, peerId: RAW_PEER_ID, flags: { fastExtension: true } });
  await until(() => raw.received.some((m) => m.type === 'handshake') || raw.closed, { what: 'the session answers the handshake' });
  assert.ok(!raw.closed, 'the session closed the connection at the handshake');
  return Object.assign(raw, { closedByUs: () => destroyedHere });
}

/** Sends an unrequested block, then expects the session to close the connection with the engine's reason. */
async function expectClosedForUnrequestedBlock(handle: TorrentHandle, closures: ClosureLog, raw: TcpRawPeer & { closedByUs: () => boolean }) {
  const address = incomingAddress(raw);
  await until(() => handle.progress().peers >= 1, { what: () => `${handle.state}: the raw peer is registered` });
  // Block 1 of piece 7 (16 KiB at 16384), real bytes, never asked for.
  raw.send({ type: 'piece', index: 7, begin: 16384, block: blockOf(payload, { index: 7, begin: 16384, length: 16384 }) });
  let reason: string;
  try {
    reason = await closures.reasonFor(address, 5000);
  } catch (err) {
    throw new Error(
      `${handle.state} (${handle.progress().have}/${handle.progress().total} pieces): the peer that sent an unrequested block is still connected ` +
        `(socket ${raw.closed ? 'closed' : 'open'}): ${(err as Error).message}`,
    );
  }
  assert.match(reason, REASON);
  await withTimeout(raw.whenClosed(), 5000, 'the socket closes');
  assert.equal(raw.closedByUs(), false, 'the session closed the socket, not the raw peer');
}

test('a seeder (complete from the start) closes a peer that sends a block nobody requested', async () => {
  const seeder = await startSeeder(payload);
  try {
    assert.equal(seeder.handle.state, 'seeding');
    const raw = await dial(seeder.session.port);
    await until(() => raw.received.some((m) => m.type === 'have-all'), { what: 'the seeder says it has everything' });
    await expectClosedForUnrequestedBlock(seeder.handle, seeder.closures, raw);
    assert.equal(seeder.handle.state, 'seeding', 'the seeder carries on');
    // And it still serves an honest leecher.
    const honest = await honestLeecher(payload, 'honest', [{ host, port: seeder.session.port }]);
    await honest.finish(20_000);
  } finally {
    await seeder.session.close();
  }
});

test('a leecher that finished and seeds on closes a peer that sends a block nobody requested', async () => {
  const seeder = await startSeeder(payload);
  const session = await startSession();
  try {
    const dir = payload.dir(`was-leecher-${randomBytes(3).toString('hex')}`);
    const handle = session.add(payload.meta, { downloadDir: dir, seed: true, noTrackers: true, peers: [{ host, port: seeder.session.port }] });
    const closures = new ClosureLog(handle);
    await withTimeout(handle.whenComplete(), 20_000, 'the download');
    payload.assertSame(dir);
    await until(() => handle.state === 'seeding', { what: () => `seeding after the download (${handle.state})` });
    const raw = await dial(session.port);
    await expectClosedForUnrequestedBlock(handle, closures, raw);
    assert.equal(handle.state, 'seeding');
  } finally {
    await session.close();
    await seeder.session.close();
  }
});

test('a leecher (downloading) closes a peer that sends a block nobody requested', async () => {
  const session = await startSession();
  try {
    const dir = payload.dir(`leecher-${randomBytes(3).toString('hex')}`);
    // No peer to download from: it stays downloading, and the raw peer is the only one.
    const handle = session.add(payload.meta, { downloadDir: dir, noTrackers: true });
    const closures = new ClosureLog(handle);
    await until(() => handle.state === 'downloading', { what: () => `downloading (${handle.state})` });
    const raw = await dial(session.port);
    await expectClosedForUnrequestedBlock(handle, closures, raw);
    assert.equal(handle.state, 'downloading');
  } finally {
    await session.close();
  }
});
