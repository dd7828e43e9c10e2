import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { TorrentEmitted, TorrentInput } from '../../src/actors/torrent.js';
import type { WireTap } from '../../src/engine/peer-wire.js';
import { type HandshakeFlags, type Request, type WireMessage } from '../../src/protocol/wire/index.js';
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
 * Pause and resume of the Torrent machine with its real children, on MemoryStorage, a simulated
 * clock and scripted raw peers on in-memory duplex pairs (the set-up of torrent.test.ts, copied).
 *
 * What pause means: no new requests, every peer choked (BEP 6: what a fast peer had queued with us
 * is rejected), pieces already handed to the disk still finish and verify; resume carries on where
 * it was; STOP works while paused. The storage is wrapped so that a test can hold one write (or
 * every read, or the preparation of the files) until it says so.
 */

// 6 pieces of 32 KiB (two 16 KiB blocks each), the last one short.
const torrent = memoryTorrent({ length: 6 * 32768 - 5000, pieceLength: 32768, seed: 7 });
const { meta } = torrent;
const OUR_ID = Buffer.from('-AC0001-pausetest...');
const FLAGS: HandshakeFlags = { extensionProtocol: true, fastExtension: true, dht: false };
const peerId = (n: number) => Buffer.from(`-TR3000-peer${String(n).padStart(8, '0')}`);
/** How long a bounded wait may take (everything is in memory: a whole download takes milliseconds). */
const WAIT_MS = 5000;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A promise the test resolves when it wants. */
class Gate {
  open!: () => void;
  opened = false;
  readonly promise = new Promise<void>((resolve) => {
    this.open = () => {
      this.opened = true;
      resolve();
    };
  });
}

/**
 * A storage whose operations can be held: `holdWriteAt(offset)` holds the write at that torrent
 * offset, `holdReads()` every read from now on, `holdPrepare()` the preparation (so the check).
 */
function gatedStorage(inner: TorrentStorage) {
  const heldWrites = new Map<number, Gate>();
  let readGate: Gate | undefined;
  let prepareGate: Gate | undefined;
  const stats = { writesWaiting: new Set<number>(), writesDone: new Set<number>(), readsWaiting: 0 };
  const storage: TorrentStorage = {
    prepare: async () => {
      if (prepareGate) await prepareGate.promise;
      return inner.prepare();
    },
    read: async (offset, length, into) => {
      if (readGate && !readGate.opened) {
        stats.readsWaiting++;
        await readGate.promise;
        stats.readsWaiting--;
      }
      return inner.read(offset, length, into);
    },
    write: async (offset, data) => {
      const gate = heldWrites.get(offset);
      if (gate) {
        stats.writesWaiting.add(offset);
        await gate.promise;
        stats.writesWaiting.delete(offset);
      }
      await inner.write(offset, data);
      stats.writesDone.add(offset);
    },
    stat: () => inner.stat(),
    flush: () => inner.flush(),
    close: () => inner.close(),
  };
  return {
    storage,
    stats,
    holdWriteAt(offset: number): Gate {
      const gate = new Gate();
      heldWrites.set(offset, gate);
      return gate;
    },
    holdReads(): Gate {
      return (readGate = new Gate());
    },
    holdPrepare(): Gate {
      return (prepareGate = new Gate());
    },
  };
}

/** A bitfield (checkExisting layout: piece 0 in the high bit of byte 0) of the given pieces. */
function bitfieldOf(pieces: number[]): Uint8Array {
  const bits = new Uint8Array(Math.ceil(meta.pieceCount / 8));
  for (const i of pieces) bits[i >> 3]! |= 0x80 >> (i & 7);
  return bits;
}

/** A message we sent, with the phase (set by the test) we were in when we sent it. */
interface Sent {
  peer: string;
  phase: string;
  message: WireMessage | { type: 'handshake-sent' };
}

function startTorrent(storage: TorrentStorage, overrides: Partial<TorrentInput> = {}) {
  const clock = new SteppingClock();
  const transport = new FakeTransport();
  /** Everything we send and receive, stamped with `phase` (the test sets it just before PAUSE / RESUME). */
  const sent: Sent[] = [];
  const received: Sent[] = [];
  const tracking = { phase: 'before' };
  const wireTap = (peer: { key: string }): WireTap => (direction, message) => {
    (direction === 'out' ? sent : received).push({ peer: peer.key.replace(/#\d+$/, ''), phase: tracking.phase, message });
  };
  const { actor, emitted, state, child } = startTorrentActor({ meta, storage, peerId: OUR_ID, clock, rng: seededRng(5), seed: false, transport, listenPort: 6881, wireTap, ...overrides });
  const sockets: DuplexEnd[] = [];
  let nextPort = 50_000;

  /** A raw peer we dialled (we speak first); `greet` runs once it has answered our handshake. */
  const connectPeer = (greet: (far: RawPeer) => void, id = peerId(nextPort)) => {
    const port = nextPort++;
    const { local, remote } = duplexPair({ remoteAddress: '10.0.0.9', remotePort: port });
    sockets.push(local, remote);
    const far = new RawPeer(remote);
    far.onMessage((m) => {
      if (m.type !== 'handshake') return;
      far.handshake({ infoHash: meta.infoHash, peerId: id, flags: FLAGS });
      greet(far);
    });
    actor.send({ type: 'PEER.CONNECTION', socket: local, direction: 'outgoing' });
    return { far, address: `10.0.0.9:${port}` };
  };

  /** The real block a request asks for. */
  const blockFor = (m: Pick<Request, 'index' | 'begin' | 'length'>) =>
    Buffer.from(torrent.payload.subarray(m.index * meta.pieceLength + m.begin, m.index * meta.pieceLength + m.begin + m.length));

  /** A seeder (have-all, unchoke) answering each request at once. */
  const connectSeeder = () =>
    connectPeer((far) => {
      far.send({ type: 'have-all' }, { type: 'unchoke' });
      far.onMessage((m) => m.type === 'request' && far.send({ type: 'piece', index: m.index, begin: m.begin, block: blockFor(m) }));
    });

  /**
   * A seeder that collects requests without answering until `answer()`: then it answers those it has
   * and every later one at once.
   */
  const connectLazySeeder = () => {
    const pending: Request[] = [];
    let answering = false;
    const peer = connectPeer((far) => {
      far.send({ type: 'have-all' }, { type: 'unchoke' });
      far.onMessage((m) => {
        if (m.type !== 'request') return;
        if (answering) far.send({ type: 'piece', index: m.index, begin: m.begin, block: blockFor(m) });
        else pending.push(m);
      });
    });
    return {
      ...peer,
      pending,
      /** Answers the first `count` requests held (default: all of them, and every later one at once). */
      answer(count?: number) {
        if (count === undefined) answering = true;
        peer.far.send(...pending.splice(0, count ?? pending.length).map((m) => ({ type: 'piece' as const, index: m.index, begin: m.begin, block: blockFor(m) })));
      },
    };
  };

  const cleanup = () => {
    actor.stop();
    for (const socket of sockets) socket.destroy();
  };
  cleanups.push(cleanup);
  const sentTo = (address: string, type: string, phase?: string) =>
    sent.filter((s) => s.peer === address && s.message.type === type && (phase === undefined || s.phase === phase));
  const verified = () => emitted.filter((e): e is Extract<TorrentEmitted, { type: 'piece-verified' }> => e.type === 'piece-verified');
  const receivedFrom = (address: string, type: string) => received.filter((s) => s.peer === address && s.message.type === type);
  const checked = () => emitted.some((e) => e.type === 'checked');
  const completed = () => emitted.some((e) => e.type === 'complete');
  const describe = () =>
    `state ${JSON.stringify(state().value)}, verified ${JSON.stringify(verified().map((e) => e.index))} of ${meta.pieceCount}, ` +
    `emitted ${JSON.stringify(emitted.map((e) => e.type))}`;
  return { clock, actor, emitted, sent, received, tracking, state, child, connectPeer, connectSeeder, connectLazySeeder, sentTo, receivedFrom, verified, checked, completed, describe, cleanup };
}

/** `until`, checked on every turn of the event loop, failing with `what` and the torrent's situation then. */
async function waitFor(condition: () => boolean, what: string, describe: () => string): Promise<void> {
  await until(condition, { what: () => `${what} (${describe()})`, timeoutMs: WAIT_MS, intervalMs: 0 });
}

/** A seeder delivers everything while the write of piece `held` is held until `release.open()`. */
async function withHeldWrite(held: number) {
  const gated = gatedStorage(torrent.emptyStorage());
  const release = gated.holdWriteAt(held * meta.pieceLength);
  const t = startTorrent(gated.storage);
  await waitFor(t.checked, 'the check', t.describe);
  t.connectSeeder();
  await waitFor(() => gated.stats.writesWaiting.has(held * meta.pieceLength), `the write of piece ${held} is held`, t.describe);
  return { gated, release, t };
}

test('the hang: a piece whose write finishes while paused is verified and counted while paused, and the torrent completes', async () => {
  const held = 2;
  const { gated, release, t } = await withHeldWrite(held);
  // Every block arrives; every piece but the held one is written and verified.
  await waitFor(() => t.verified().length === meta.pieceCount - 1, 'every other piece verified', t.describe);
  const blockBytes = t.received.reduce((sum, r) => sum + (r.message.type === 'piece' ? r.message.block.length : 0), 0);
  assert.equal(blockBytes, meta.length, 'every block arrived before the pause');
  assert.ok(!t.verified().some((e) => e.index === held));

  t.actor.send({ type: 'PAUSE' });
  release.open();
  // The verdict is produced while paused, and counted: it was the last piece missing.
  await waitFor(
    () => t.verified().some((e) => e.index === held),
    `no piece-verified for piece ${held} while paused (its write was in flight at the pause)`,
    t.describe,
  );
  assert.deepEqual(t.verified().find((e) => e.index === held), { type: 'piece-verified', index: held, have: meta.pieceCount, total: meta.pieceCount });
  assert.ok(!t.emitted.some((e) => e.type === 'resumed'), 'not resumed by the verdict');

  t.actor.send({ type: 'RESUME' });
  await waitFor(
    () => t.completed(),
    `never complete after RESUME: the verdict on piece ${held}, whose write finished while paused, was lost`,
    t.describe,
  );
  assert.deepEqual(
    t.verified().map((e) => e.index).sort(),
    Array.from({ length: meta.pieceCount }, (_, i) => i),
    'each piece verified once',
  );
  assert.equal(t.verified().at(-1)!.have, meta.pieceCount);
  assert.equal(t.emitted.filter((e) => e.type === 'complete').length, 1);
  assert.ok((await gated.storage.read(0, meta.length)).equals(torrent.payload), 'the stored bytes are the payload');
});

test('PAUSE emits paused, RESUME emits resumed', async () => {
  const t = startTorrent(torrent.emptyStorage());
  await waitFor(t.checked, 'the check', t.describe);
  t.actor.send({ type: 'PAUSE' });
  await waitFor(() => t.emitted.some((e) => (e as { type: string }).type === 'paused'), 'a paused event after PAUSE', t.describe);
  t.actor.send({ type: 'RESUME' });
  await waitFor(() => t.emitted.some((e) => (e as { type: string }).type === 'resumed'), 'a resumed event after RESUME', t.describe);
  const types = t.emitted.map((e) => e.type as string).filter((type) => type === 'paused' || type === 'resumed');
  assert.deepEqual(types, ['paused', 'resumed']);
});

test('paused: no request to anyone, the peer we unchoked is choked and its queued requests rejected (BEP 6); RESUME carries on', async () => {
  const have = [0, 1, 2];
  const gated = gatedStorage(await torrent.storageWith(have));
  const t = startTorrent(gated.storage, { trustedHave: bitfieldOf(have) });
  await waitFor(t.checked, 'the check', t.describe);

  // A seeder that holds our requests unanswered: they are in flight at the pause.
  const seeder = t.connectLazySeeder();
  await waitFor(() => t.sentTo(seeder.address, 'request').length > 0, 'requests to the seeder', t.describe);

  // A leecher (fast extension) interested in what we have: we unchoke it.
  const leecher = t.connectPeer((far) => far.send({ type: 'have-none' }, { type: 'interested' }));
  await waitFor(() => t.sentTo(leecher.address, 'unchoke').length === 1, 'the interested leecher unchoked', t.describe);
  await waitFor(() => leecher.far.received.some((m) => m.type === 'unchoke'), 'the leecher hears the unchoke', t.describe);

  // It asks for every block we have; the disk holds the reads, so some requests wait in our queue.
  const readsHeld = gated.holdReads();
  const requests: Request[] = have.flatMap((index) => [0, 16384].map((begin) => ({ type: 'request' as const, index, begin, length: 16384 })));
  leecher.far.send(...requests);
  await waitFor(
    () => t.receivedFrom(leecher.address, 'request').length === requests.length && gated.stats.readsWaiting > 0,
    'the requests arrived and the disk holds their reads',
    t.describe,
  );

  t.tracking.phase = 'paused';
  t.actor.send({ type: 'PAUSE' });
  await waitFor(() => t.sentTo(leecher.address, 'choke', 'paused').length > 0, 'PAUSE chokes the leecher we had unchoked', t.describe);

  // The disk lets go, the seeder answers two of the requests it had before the pause (blocks in
  // flight), chokes and unchokes us and announces a piece: nothing of it may make us ask for more.
  readsHeld.open();
  assert.ok(seeder.pending.length > 2, `the seeder holds ${seeder.pending.length} requests`);
  seeder.answer(2);
  seeder.far.send({ type: 'choke' }, { type: 'unchoke' }, { type: 'have', index: 5 });
  // BEP 6: every request the leecher had queued with us (or being read) is rejected, none served.
  await waitFor(
    () => leecher.far.received.filter((m) => m.type === 'reject').length === requests.length,
    'a reject for each request the leecher had queued',
    () => `${t.describe()}, leecher received ${JSON.stringify(leecher.far.received.map((m) => m.type))}`,
  );
  assert.equal(t.sentTo(leecher.address, 'piece', 'paused').length, 0, 'no block served while paused');

  // The leecher insists and choking rounds go by (rechoke every 10 s, optimistic unchoke every 30 s): still choked.
  leecher.far.send({ type: 'not-interested' }, { type: 'interested' }, requests[0]!);
  await settle(50);
  await t.clock.advance(31_000);
  assert.deepEqual(
    t.sent.filter((s) => s.phase === 'paused' && (s.message.type === 'request' || s.message.type === 'unchoke')).map((s) => `${s.message.type} to ${s.peer}`),
    [],
    'no request and no unchoke while paused',
  );
  assert.ok(!t.completed(), 'the download cannot finish while paused: most blocks are still unanswered');

  // RESUME: the download carries on (the seeder now answers what it still holds and every new request).
  t.tracking.phase = 'resumed';
  t.actor.send({ type: 'RESUME' });
  seeder.answer();
  await waitFor(() => t.completed(), 'complete after RESUME', t.describe);
  assert.ok((await gated.storage.read(0, meta.length)).equals(torrent.payload), 'the stored bytes are the payload');
});

test('a peer that joins while paused is not asked for anything until RESUME', async () => {
  const t = startTorrent(torrent.emptyStorage());
  await waitFor(t.checked, 'the check', t.describe);
  t.tracking.phase = 'paused';
  t.actor.send({ type: 'PAUSE' });
  const seeder = t.connectSeeder();
  await waitFor(() => t.emitted.some((e) => e.type === 'peer-connected'), 'the seeder connects', t.describe);
  await waitFor(() => seeder.far.received.some((m) => m.type === 'have-none'), 'our greeting reaches it', t.describe);
  await settle(50);
  await t.clock.advance(31_000);
  assert.deepEqual(t.sentTo(seeder.address, 'request'), [], 'nothing requested while paused');
  t.tracking.phase = 'resumed';
  t.actor.send({ type: 'RESUME' });
  await waitFor(() => t.completed(), 'complete after RESUME', t.describe);
});

test('STOP while paused: peers closed, the torrent reaches stopped', async () => {
  const t = startTorrent(torrent.emptyStorage());
  await waitFor(t.checked, 'the check', t.describe);
  const seeder = t.connectLazySeeder();
  await waitFor(() => t.sentTo(seeder.address, 'request').length > 0, 'requests to the seeder', t.describe);
  t.actor.send({ type: 'PAUSE' });
  t.actor.send({ type: 'STOP' });
  await waitFor(() => t.state().status === 'done', 'the torrent ends after STOP while paused', t.describe);
  assert.ok(!t.emitted.some((e) => e.type === 'failed'), 'stopped, not failed');
  await waitFor(() => seeder.far.closed, 'the seeder connection closes', t.describe);
  assert.ok(t.emitted.some((e) => e.type === 'peer-closed' && e.reason === 'torrent stopped'));
});

test('STOP while paused with a write in flight: the write lands, the torrent reaches stopped', async () => {
  const held = 1;
  const { gated, release, t } = await withHeldWrite(held);
  t.actor.send({ type: 'PAUSE' });
  t.actor.send({ type: 'STOP' });
  release.open();
  await waitFor(() => t.state().status === 'done', 'the torrent ends after STOP while paused', t.describe);
  assert.ok(!t.emitted.some((e) => e.type === 'failed'), `stopped, not failed: ${t.describe()}`);
  assert.ok(gated.stats.writesDone.has(held * meta.pieceLength));
});

/*
 * PAUSE during the check (decided here): the check runs to its end (its result is kept: `checked`
 * counts what is on disk and only the missing pieces are fetched later), but the torrent does not
 * start downloading until RESUME. PAUSE then RESUME, both during the check, leave it downloading.
 */

test('PAUSE during checking: the check completes and is kept, nothing is requested until RESUME', async () => {
  const found = [0, 3];
  const gated = gatedStorage(await torrent.storageWith(found));
  const checkHeld = gated.holdPrepare();
  const t = startTorrent(gated.storage);
  const seeder = t.connectSeeder();
  await waitFor(() => t.emitted.some((e) => e.type === 'peer-connected'), 'a seeder connects while we check', t.describe);
  assert.ok(!t.checked(), 'still checking');
  t.tracking.phase = 'paused';
  t.actor.send({ type: 'PAUSE' });
  checkHeld.open();
  await waitFor(() => t.emitted.some((e) => e.type === 'checked'), 'the check completes while paused', t.describe);
  assert.deepEqual(t.emitted.find((e) => e.type === 'checked'), { type: 'checked', have: found.length, total: meta.pieceCount });
  // We tell the seeder what the check found (have 0, have 3), then nothing more while paused.
  await waitFor(() => seeder.far.received.filter((m) => m.type === 'have').length >= found.length, 'the pieces found announced', t.describe);
  await settle(50);
  await t.clock.advance(31_000);
  assert.deepEqual(t.sentTo(seeder.address, 'request'), [], 'a PAUSE sent while checking was dropped: requests sent after the check');
  assert.equal(t.verified().length, 0);

  t.tracking.phase = 'resumed';
  t.actor.send({ type: 'RESUME' });
  await waitFor(() => t.completed(), 'complete after RESUME', t.describe);
  const requested = new Set(t.sentTo(seeder.address, 'request').map((s) => (s.message as Request).index));
  assert.deepEqual([...requested].sort(), [1, 2, 4, 5], 'only the pieces the check did not find are fetched');
  assert.equal(t.verified().length, meta.pieceCount - found.length);
  assert.ok((await gated.storage.read(0, meta.length)).equals(torrent.payload));
});

test('PAUSE then RESUME during checking: the torrent downloads after the check', async () => {
  const found = [2];
  const gated = gatedStorage(await torrent.storageWith(found));
  const checkHeld = gated.holdPrepare();
  const t = startTorrent(gated.storage);
  const seeder = t.connectSeeder();
  await waitFor(() => t.emitted.some((e) => e.type === 'peer-connected'), 'a seeder connects while we check', t.describe);
  t.actor.send({ type: 'PAUSE' });
  t.actor.send({ type: 'RESUME' });
  assert.ok(!t.checked(), 'still checking');
  checkHeld.open();
  await waitFor(() => t.completed(), 'complete after the check', t.describe);
  assert.deepEqual(t.emitted.find((e) => e.type === 'checked'), { type: 'checked', have: found.length, total: meta.pieceCount });
  const requested = new Set(t.sentTo(seeder.address, 'request').map((s) => (s.message as Request).index));
  assert.ok(!requested.has(2), 'the piece the check found is not fetched');
  assert.ok((await gated.storage.read(0, meta.length)).equals(torrent.payload));
});
