import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { TorrentEmitted, TorrentInput } from '../../src/actors/torrent.js';
import { haveBitfield, torrentError, torrentPeers, torrentProgress, torrentState, torrentSuspects, transferStats } from '../../src/actors/torrent-queries.js';
import { hasBit } from '../../src/util/bits.js';
import { type Handshake, type HandshakeFlags, decodeHandshake, encodeHandshake, encodeMessage } from '../../src/protocol/wire/index.js';
import type { TorrentStorage } from '../../src/storage/storage.js';
import { type DuplexEnd, duplexPair } from '../support/duplex-pair.js';
import { settle } from '../support/event-loop.js';
import { until } from '../support/until.js';
import { seededRng } from '../support/fuzz.js';
import { memoryTorrent } from '../support/memory-torrent.js';
import { RawPeer } from '../support/raw-peer.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { startTorrentActor } from '../support/torrent-actor.js';
import { FakeTransport } from './fake-transport.js';

/**
 * The Torrent machine with its real children (FileManager, Downloader, Uploader, Peers, Client) over
 * MemoryStorage, a FakeTransport that dials nothing, and scripted raw peers on in-memory duplex
 * pairs: the whole download path (wire → Downloader → storage → FileManager) runs without TCP, on a
 * simulated clock.
 */

// 6 pieces of 32 KiB (two 16 KiB blocks each), the last one short.
const torrent = memoryTorrent({ length: 6 * 32768 - 5000, pieceLength: 32768, seed: 3 });
const { meta } = torrent;
const OUR_ID = Buffer.from('-AC0001-torrenttest.');
const FLAGS: HandshakeFlags = { extensionProtocol: true, fastExtension: true, dht: false };

const peerId = (n: number) => Buffer.from(`-TR3000-peer${String(n).padStart(8, '0')}`);

/** Whatever a test started is stopped after it, even when an assertion failed half-way. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function startTorrent(storage: TorrentStorage, overrides: Partial<TorrentInput> = {}) {
  const clock = new SteppingClock();
  const transport = new FakeTransport();
  const { actor, emitted, state, child } = startTorrentActor({ meta, storage, peerId: OUR_ID, clock, rng: seededRng(11), seed: false, transport, listenPort: 6881, ...overrides });
  const sockets: DuplexEnd[] = [];
  let nextPort = 50_000;

  /** A raw peer connects; outgoing: we dialled it (we speak first); incoming: the server read its handshake. */
  const connectPeer = (options: { direction?: 'incoming' | 'outgoing'; id?: Buffer; flags?: Partial<HandshakeFlags>; rest?: Buffer } = {}) => {
    const { direction = 'outgoing', id = peerId(nextPort), flags = FLAGS, rest = Buffer.alloc(0) } = options;
    const { local, remote } = duplexPair({ remoteAddress: '10.0.0.9', remotePort: nextPort++ });
    sockets.push(local, remote);
    const far = new RawPeer(remote);
    const handshake: Handshake = decodeHandshake(encodeHandshake({ infoHash: meta.infoHash, peerId: id, flags }));
    if (direction === 'outgoing') {
      far.onMessage((m) => m.type === 'handshake' && far.handshake({ infoHash: meta.infoHash, peerId: id, flags }));
      actor.send({ type: 'PEER.CONNECTION', socket: local, direction });
    } else {
      actor.send({ type: 'PEER.CONNECTION', socket: local, direction, handshake, rest });
    }
    return far;
  };

  /** A scripted seeder: have-all and unchoke once connected, then every request answered (corrupted if asked). */
  const connectSeeder = (options: { corrupt?: boolean; id?: Buffer; direction?: 'incoming' | 'outgoing'; greetingInRest?: boolean } = {}) => {
    const greeting = Buffer.concat([encodeMessage({ type: 'have-all' }), encodeMessage({ type: 'unchoke' })]);
    // greetingInRest: the server read the greeting with the handshake and hands it over as `rest`.
    const far = connectPeer({ ...options, rest: options.greetingInRest ? greeting : undefined });
    const greet = () => far.write(greeting);
    if ((options.direction ?? 'outgoing') === 'incoming') {
      if (!options.greetingInRest) greet();
    } else far.onMessage((m) => m.type === 'handshake' && greet());
    far.onMessage((m) => {
      if (m.type !== 'request') return;
      const block = Buffer.from(torrent.payload.subarray(m.index * meta.pieceLength + m.begin, m.index * meta.pieceLength + m.begin + m.length));
      if (options.corrupt) block[0] = block[0]! ^ 0xff;
      far.send({ type: 'piece', index: m.index, begin: m.begin, block });
    });
    return far;
  };

  const cleanup = () => {
    actor.stop();
    for (const socket of sockets) socket.destroy();
  };
  cleanups.push(cleanup);
  return { clock, transport, actor, emitted, state, child, connectPeer, connectSeeder, cleanup };
}

const types = (emitted: TorrentEmitted[]) => emitted.map((e) => e.type);

/** Every byte of the payload is in the storage. */
async function assertHolds(storage: TorrentStorage) {
  assert.ok((await storage.read(0, meta.length)).equals(torrent.payload), 'the stored bytes are the payload');
}

test('checking → downloading when data is missing; the downloader waits for peers', async () => {
  const { actor, child, emitted, cleanup } = startTorrent(torrent.emptyStorage());
  assert.ok(torrentState(actor) === 'checking');
  assert.ok(child('downloader')?.matches({ stage: 'waitingForCheck' }));
  await until(() => torrentState(actor) !== 'checking', { what: 'the check', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'downloading');
  assert.deepEqual(emitted, [{ type: 'checked', have: 0, total: meta.pieceCount }]);
  assert.ok(child('downloader')?.matches({ stage: 'fetching' }));
  assert.equal(child('files')?.value, 'ready');
  cleanup();
});

test('checking a partial download: downloading, with the pieces found counted', async () => {
  const storage = await torrent.storageWith([0, 3, 5]);
  const { actor, emitted, cleanup } = startTorrent(storage);
  await until(() => torrentState(actor) !== 'checking', { what: 'the check', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'downloading');
  assert.deepEqual(emitted, [{ type: 'checked', have: 3, total: meta.pieceCount }]);
  assert.deepEqual(
    Array.from({ length: meta.pieceCount }, (_, i) => hasBit(haveBitfield(actor), i)),
    [true, false, false, true, false, true],
  );
  cleanup();
});

test('checking → complete → seeding when every piece is on disk and seed is set', async () => {
  const { actor, child, emitted, cleanup } = startTorrent(await torrent.storageWith(), { seed: true });
  await until(() => torrentState(actor) !== 'checking', { what: 'the check', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'seeding');
  assert.deepEqual(types(emitted), ['checked', 'complete']);
  assert.ok(child('uploader')?.matches({ mode: 'seeding' }), 'the uploader ranks by upload rate now');
  assert.ok(child('downloader')?.matches({ stage: 'complete' }));
  cleanup();
});

test('checking → complete → stopping → stopped when every piece is on disk and seed is not set', async () => {
  const { actor, state, emitted, cleanup } = startTorrent(await torrent.storageWith(), { seed: false });
  await until(() => state().status === 'done', { what: 'the end', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'stopped');
  assert.deepEqual(types(emitted), ['checked', 'complete']);
  cleanup();
});

test('a scripted seeder (have-all, unchoke, answers requests) brings the download to complete', async () => {
  for (const direction of ['outgoing', 'incoming'] as const) {
    const storage = torrent.emptyStorage();
    const { actor, emitted, connectSeeder, cleanup } = startTorrent(storage, { seed: true });
    const far = connectSeeder({ direction });
    await until(() => torrentState(actor) === 'seeding', { what: `complete (${direction})`, intervalMs: 0 });
    await assertHolds(storage);
    const verified = emitted.filter((e) => e.type === 'piece-verified');
    assert.equal(verified.length, meta.pieceCount);
    assert.deepEqual(
      verified.map((e) => e.type === 'piece-verified' && `${e.have}/${e.total}`),
      ['1/6', '2/6', '3/6', '4/6', '5/6', '6/6'],
      'each piece-verified counts the piece it announces',
    );
    assert.ok(emitted.some((e) => e.type === 'peer-connected' && e.client === 'Transmission 3.00' && e.direction === direction));
    assert.equal(types(emitted).filter((t) => t === 'complete').length, 1);
    assert.equal(transferStats(actor).download.bytes, meta.length, 'every byte fetched once');
    // We told the seeder about each piece as it was verified.
    assert.equal(far.received.filter((m) => m.type === 'have').length, meta.pieceCount);
    cleanup();
  }
});

test('incoming: messages the server read along with the handshake (rest) reach the peer and the download', async () => {
  const storage = torrent.emptyStorage();
  const { actor, state, emitted, connectSeeder, cleanup } = startTorrent(storage);
  await until(() => torrentState(actor) === 'downloading', { what: 'downloading', intervalMs: 0 });
  connectSeeder({ direction: 'incoming', greetingInRest: true });
  await until(() => state().status === 'done', { what: 'complete', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'stopped');
  assert.equal(emitted.filter((e) => e.type === 'piece-verified').length, meta.pieceCount);
  await assertHolds(storage);
  cleanup();
});

test('a partial download fetches only the missing pieces, then stops when not seeding', async () => {
  const storage = await torrent.storageWith([1, 2, 4]);
  const { actor, state, connectSeeder, cleanup } = startTorrent(storage, { seed: false });
  const far = connectSeeder();
  await until(() => state().status === 'done', { what: 'stopped', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'stopped');
  await assertHolds(storage);
  const requested = new Set(far.received.filter((m) => m.type === 'request').map((m) => (m as { index: number }).index));
  assert.deepEqual([...requested].sort(), [0, 3, 5]);
  cleanup();
});

test('STOP while downloading: peers closed, files flushed, then stopped', async () => {
  const memory = torrent.emptyStorage();
  let releaseFlush: (() => void) | undefined;
  let flushes = 0;
  // The storage, with a flush that waits for the test.
  const storage: TorrentStorage = {
    prepare: () => memory.prepare(),
    read: (offset, length, into) => memory.read(offset, length, into),
    write: (offset, data) => memory.write(offset, data),
    stat: () => memory.stat(),
    close: () => memory.close(),
    flush: () => {
      flushes++;
      return new Promise<void>((resolve) => (releaseFlush = resolve));
    },
  };
  const { actor, state, emitted, connectPeer, cleanup } = startTorrent(storage);
  const far = connectPeer();
  await until(() => emitted.some((e) => e.type === 'peer-connected'), { what: 'the peer connects', intervalMs: 0 });
  await until(() => torrentState(actor) === 'downloading', { what: 'downloading', intervalMs: 0 });
  actor.send({ type: 'STOP' });
  await until(() => flushes === 1, { what: 'the flush starts', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'stopping', 'stopping until the files are flushed');
  await until(() => far.closed, { what: 'the peer connection closes', intervalMs: 0 });
  assert.ok(emitted.some((e) => e.type === 'peer-closed' && e.reason === 'torrent stopped'));
  await settle();
  assert.ok(torrentState(actor) === 'stopping');
  releaseFlush!();
  await until(() => state().status === 'done', { what: 'stopped', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'stopped');
  cleanup();
});

test('a write failure while blocks arrive: failed, with the disk’s message, and the peers closed', async () => {
  const storage = torrent.emptyStorage();
  const { actor, state, emitted, connectSeeder, cleanup } = startTorrent(storage);
  await until(() => torrentState(actor) === 'downloading', { what: 'downloading', intervalMs: 0 });
  storage.faults.failWrites = true;
  const far = connectSeeder();
  await until(() => state().status === 'done', { what: 'the failure', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'failed');
  assert.match(torrentError(actor) ?? '', /^write failed: cannot write \d+ bytes at \d+: no space left on the device$/);
  const failed = emitted.filter((e) => e.type === 'failed');
  assert.deepEqual(failed, [{ type: 'failed', message: torrentError(actor) }]);
  await until(() => far.closed, { what: 'the seeder connection closes', intervalMs: 0 });
  cleanup();
});

test('PAUSE stops requesting and cancels what is outstanding; RESUME asks again', async () => {
  const { actor, child, connectPeer, cleanup } = startTorrent(torrent.emptyStorage());
  await until(() => torrentState(actor) === 'downloading', { what: 'downloading', intervalMs: 0 });
  // A seeder that unchokes but never answers: requests stay outstanding.
  const far = connectPeer();
  far.onMessage((m) => m.type === 'handshake' && far.send({ type: 'have-all' }, { type: 'unchoke' }));
  await until(() => far.received.some((m) => m.type === 'request'), { what: 'requests', intervalMs: 0 });
  assert.ok(child('downloader')?.matches({ stage: 'fetching', activity: 'running' }));
  const requested = far.received.filter((m) => m.type === 'request').length;
  far.take();

  actor.send({ type: 'PAUSE' });
  assert.ok(torrentState(actor) === 'paused');
  assert.ok(child('downloader')?.matches({ activity: 'paused' }));
  await settle();
  const cancels = far.take();
  assert.equal(cancels.filter((m) => m.type === 'cancel').length, requested, 'every outstanding request cancelled');
  assert.ok(cancels.every((m) => m.type === 'cancel'));

  actor.send({ type: 'RESUME' });
  assert.ok(torrentState(actor) === 'downloading');
  assert.ok(child('downloader')?.matches({ stage: 'fetching', activity: 'running' }));
  await until(() => far.received.some((m) => m.type === 'request'), { what: 'requests again', intervalMs: 0 });
  cleanup();
});

test('PAUSE with no peer connected holds until RESUME, even when a peer arrives meanwhile', async () => {
  const { actor, child, connectSeeder, cleanup } = startTorrent(torrent.emptyStorage());
  await until(() => torrentState(actor) === 'downloading', { what: 'downloading', intervalMs: 0 });
  actor.send({ type: 'PAUSE' });
  assert.ok(torrentState(actor) === 'paused');
  assert.ok(child('downloader')?.matches({ activity: 'paused' }));
  const far = connectSeeder();
  await until(() => far.received.some((m) => m.type === 'have-none'), { what: 'the greeting', intervalMs: 0 });
  await settle(20);
  assert.equal(far.received.filter((m) => m.type === 'request').length, 0, 'nothing requested while paused');
  assert.ok(child('downloader')?.matches({ activity: 'paused' }));
  actor.send({ type: 'RESUME' });
  await until(() => torrentState(actor) === 'stopped', { what: 'complete after RESUME', intervalMs: 0 });
  cleanup();
});

test('maxPeers: connections beyond the limit are refused (their socket destroyed)', async () => {
  const { actor, connectPeer, cleanup } = startTorrent(torrent.emptyStorage(), { maxPeers: 2 });
  const first = connectPeer();
  const second = connectPeer({ direction: 'incoming' });
  const third = connectPeer();
  await settle();
  assert.equal(torrentPeers(actor, 0).length, 2);
  assert.equal(third.closed, true, 'the third connection was refused');
  assert.equal(first.closed, false);
  assert.equal(second.closed, false);
  assert.equal(third.received.length, 0, 'not even a handshake was sent to it');
  cleanup();
});

test('at maxPeers an incoming peer replaces one that has shown no interest and exchanged nothing for 10 s', async () => {
  const { actor, clock, emitted, connectPeer, cleanup } = startTorrent(torrent.emptyStorage(), { maxPeers: 2 });
  const idle = connectPeer({ direction: 'incoming' });
  await until(() => emitted.some((e) => e.type === 'peer-connected'), { what: 'the idle peer connected', intervalMs: 0 });
  const busy = connectPeer({ direction: 'incoming' });
  busy.send({ type: 'interested' });
  await until(() => torrentPeers(actor, 0).filter((p) => p.peerInterested).length === 1, { what: 'the busy peer interested', intervalMs: 0 });
  // Too young to be replaced: a newcomer is refused.
  const early = connectPeer({ direction: 'incoming' });
  await until(() => early.closed, { what: 'the early newcomer refused', intervalMs: 0 });
  assert.equal(idle.closed, false);

  await clock.advance(10_000);
  const newcomer = connectPeer({ direction: 'incoming' });
  await until(() => idle.closed, { what: 'the idle peer evicted', intervalMs: 0 });
  assert.ok(emitted.some((e) => e.type === 'peer-closed' && e.reason === 'evicted for a newcomer: no interest either way and nothing exchanged'));
  assert.equal(busy.closed, false, 'an interested peer stays');
  await until(() => emitted.filter((e) => e.type === 'peer-connected').length === 3, { what: 'the newcomer connected', intervalMs: 0 });
  assert.equal(newcomer.closed, false);
  cleanup();
});

test('a peer whose pieces fail their hash 3 times is banned and disconnected', async () => {
  const storage = torrent.emptyStorage();
  const badId = peerId(666);
  const { actor, state, emitted, connectSeeder, cleanup } = startTorrent(storage);
  const far = connectSeeder({ corrupt: true, id: badId });
  await until(() => far.closed, { what: 'the corrupt seeder is disconnected', intervalMs: 0 });
  const closedAt = emitted.findIndex((e) => e.type === 'peer-closed');
  const closed = emitted[closedAt];
  assert.ok(closed && closed.type === 'peer-closed');
  assert.equal(closed.reason, 'banned: sent 3 pieces that failed their hash');
  assert.equal(emitted.slice(0, closedAt).filter((e) => e.type === 'piece-failed').length, 3, 'banned at the third failure, not before');
  assert.equal(torrentSuspects(actor).strikes.get(badId.toString('hex')), 3);
  assert.ok(torrentSuspects(actor).banned.includes(badId.toString('hex')));
  assert.ok(torrentState(actor) === 'downloading', 'the torrent carries on');
  assert.equal(torrentProgress(actor, 0).have, 0);

  // It comes back: refused as banned. An honest peer then completes the download.
  const again = connectSeeder({ corrupt: true, id: badId, direction: 'incoming' });
  await until(() => again.closed, { what: 'the banned peer is refused', intervalMs: 0 });
  assert.ok(emitted.some((e) => e.type === 'peer-closed' && e.reason === 'banned peer'));
  connectSeeder();
  await until(() => state().status === 'done', { what: 'complete from the honest seeder', intervalMs: 0 });
  assert.ok(torrentState(actor) === 'stopped');
  await assertHolds(storage);
  cleanup();
});

test('maxHashFailures sets the number of strikes', async () => {
  const { actor, emitted, connectSeeder, cleanup } = startTorrent(torrent.emptyStorage(), { maxHashFailures: 1 });
  const far = connectSeeder({ corrupt: true });
  await until(() => far.closed, { what: 'banned at the first failure', intervalMs: 0 });
  const closedAt = emitted.findIndex((e) => e.type === 'peer-closed');
  assert.deepEqual(emitted[closedAt], { type: 'peer-closed', address: '10.0.0.9:50000', reason: 'banned: sent 1 piece that failed their hash' });
  assert.equal(emitted.slice(0, closedAt).filter((e) => e.type === 'piece-failed').length, 1);
  assert.equal([...torrentSuspects(actor).strikes.values()][0], 1);
  cleanup();
});

test('a second connection from the same peer id is closed as a duplicate', async () => {
  const id = peerId(42);
  const { actor, emitted, connectPeer, cleanup } = startTorrent(torrent.emptyStorage());
  const first = connectPeer({ id });
  await until(() => emitted.some((e) => e.type === 'peer-connected'), { what: 'the first connection', intervalMs: 0 });
  const second = connectPeer({ id, direction: 'incoming' });
  await until(() => second.closed, { what: 'the duplicate is closed', intervalMs: 0 });
  assert.ok(emitted.some((e) => e.type === 'peer-closed' && e.reason === 'duplicate connection to the same peer'));
  assert.equal(first.closed, false);
  assert.equal(torrentPeers(actor, 0).length, 1);
  cleanup();
});
