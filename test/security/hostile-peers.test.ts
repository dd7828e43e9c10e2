import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload } from '../engine/swarm-helpers.js';
import { HAVE_ALL, INTERESTED, UNCHOKE, encodeMessage, type Request } from '../../src/protocol/wire/index.js';
import { connectRawPeer, listenRawPeers, type TcpRawPeer } from '../support/tcp-raw-peer.js';
import { until } from '../support/until.js';
import type { TorrentHandle } from '../../src/session.js';
import { ClosureLog, RAW_PEER_ID, type Payload, blockOf, honestLeecher, incomingAddress, peerKey, startSeeder, startSession } from './harness.js';

/**
 * A real actorrent Session over loopback TCP against a scripted raw peer. Each hostile act ends with
 * the connection closed and its reason in the `peer-closed` event; the acts that are merely rude
 * (requests while choked, a flood of requests) are bounded without a disconnect. An honest leecher
 * downloads alongside every case and must finish byte-exact.
 */

let payload: Payload;

before(async () => {
  // 125 pieces: not a multiple of 8, so a bitfield has spare bits to abuse.
  payload = await makePayload({ multiFile: false, size: 4 * 1024 * 1024 - 100 * 1024, pieceLength: 32768 });
  assert.equal(payload.meta.pieceCount, 125);
});
after(() => payload.cleanup());

const host = '127.0.0.1';

/** A raw peer dialling the seeder, past the handshake (the seeder's own handshake and have-all received). */
async function hostileIncoming(port: number, options: { fast?: boolean; record?: boolean } = {}): Promise<TcpRawPeer> {
  const raw = await connectRawPeer(port, { record: options.record });
  let answered = false;
  raw.onMessage((m) => (answered ||= m.type === 'handshake'));
  raw.handshake({ infoHash: payload.meta.infoHash, peerId: RAW_PEER_ID, flags: { fastExtension: options.fast ?? true } });
  await until(() => answered || raw.closed, { what: 'seeder handshake' });
  return raw;
}

/** Seeder + honest leecher; `act` runs the hostile peer against the seeder meanwhile. */
async function againstSeeder(act: (seeder: Awaited<ReturnType<typeof startSeeder>>) => Promise<void>, options: { handshakeTimeoutMs?: number } = {}) {
  const seeder = await startSeeder(payload, options);
  const honest = await honestLeecher(payload, 'honest', [{ host, port: seeder.session.port }]);
  try {
    await act(seeder);
    await honest.finish();
    assert.equal(seeder.handle.state, 'seeding');
  } finally {
    await seeder.session.close();
  }
}

async function expectClosed(seeder: Awaited<ReturnType<typeof startSeeder>>, raw: TcpRawPeer, pattern: RegExp): Promise<void> {
  const reason = await seeder.closures.reasonFor(incomingAddress(raw));
  assert.match(reason, pattern);
  await raw.whenClosed();
}

test('a length prefix of 2^32-1 closes the connection: protocol error', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]));
    await expectClosed(seeder, raw, /^protocol error: .*4294967295/);
  }));

test('a bitfield one byte too long closes the connection', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.send({ type: 'bitfield', bitfield: Buffer.alloc(17) });
    await expectClosed(seeder, raw, /invalid bitfield/);
  }));

test('a bitfield with spare bits set closes the connection', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.send({ type: 'bitfield', bitfield: Buffer.alloc(16, 0xff) }); // 125 pieces: the last 3 bits are spare
    await expectClosed(seeder, raw, /invalid bitfield/);
  }));

test('a have with an out-of-range index closes the connection', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.send({ type: 'have', index: 0 }, { type: 'have', index: 125 });
    await expectClosed(seeder, raw, /have for piece 125 of 125/);
  }));

test('a request with an out-of-range index closes the connection', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.send({ type: 'request', index: 0xffffffff, begin: 0, length: 16384 });
    await expectClosed(seeder, raw, /request for piece 4294967295 of 125/);
  }));

test('a request running past the end of its piece closes the connection', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.send({ type: 'request', index: 3, begin: 32768 - 100, length: 16384 });
    await expectClosed(seeder, raw, /request outside piece 3/);
  }));

test('garbage after the handshake closes the connection: protocol error', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.write(Buffer.from('GET /announce?info_hash=xyz HTTP/1.1\r\nHost: example\r\n\r\n'));
    await expectClosed(seeder, raw, /^protocol error/);
  }));

test('an unknown message id after the handshake closes the connection', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    raw.write(Buffer.from([0, 0, 0, 3, 0xee, 1, 2]));
    await expectClosed(seeder, raw, /^protocol error/);
  }));

test('an incoming handshake that never completes (slowloris) is dropped at the handshake timeout', () =>
  againstSeeder(
    async (seeder) => {
      const raw = await connectRawPeer(seeder.session.port);
      const started = Date.now();
      raw.write(Buffer.from([19, ...Buffer.from('BitTorrent')])); // 11 of 68 bytes, then silence
      await raw.whenClosed();
      const waited = Date.now() - started;
      assert.ok(waited >= 250 && waited < 5000, `closed after ${waited} ms`);
    },
    { handshakeTimeoutMs: 300 },
  ));

test('an incoming handshake for a torrent we do not serve is refused', () =>
  againstSeeder(async (seeder) => {
    const raw = await connectRawPeer(seeder.session.port);
    raw.handshake({ infoHash: Buffer.alloc(20, 7), peerId: RAW_PEER_ID });
    await raw.whenClosed();
    assert.equal(raw.received.length, 0, 'we answered a handshake for a torrent we do not have');
  }));

test('requests while we choke the peer are rejected (BEP 6) without a disconnect', () =>
  againstSeeder(async (seeder) => {
    const raw = await hostileIncoming(seeder.session.port);
    // Not interested, so never unchoked: every request must come back rejected, none served.
    const requests: Request[] = Array.from({ length: 1000 }, (_, i) => ({ type: 'request', index: i % 125, begin: 0, length: 16384 }));
    raw.send(...requests);
    const counts = () => {
      const byType: Record<string, number> = {};
      for (const m of raw.received) byType[m.type] = (byType[m.type] ?? 0) + 1;
      return JSON.stringify(byType);
    };
    await until(() => raw.received.filter((m) => m.type === 'reject').length === 1000, { what: () => `a reject for each request (got ${counts()})` });
    assert.ok(!raw.received.some((m) => m.type === 'piece' || m.type === 'unchoke'));
    assert.ok(!raw.closed);
    assert.deepEqual(seeder.closures.reasonsFor(incomingAddress(raw)), []);
    assert.ok(seeder.handle.transferStats().upload.ignoredWhileChoked >= 1000);
    raw.destroy();
  }));

test('300 000 requests at once never queue beyond 250, memory stays bounded, no disconnect', () =>
  againstSeeder(async (seeder) => {
    const count = 300_000;
    let answered = 0;
    const raw = await hostileIncoming(seeder.session.port, { record: false });
    let unchoked = false;
    raw.onMessage((m) => {
      if (m.type === 'unchoke') unchoked = true;
      if (m.type === 'piece' || m.type === 'reject') answered++;
    });
    raw.send(INTERESTED);
    await until(() => unchoked, { what: 'unchoked after interested' });
    const key = peerKey(seeder.handle, incomingAddress(raw));
    assert.ok(key);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let maxQueued = 0;
    let maxHeap = heapBefore;
    const sampler = setInterval(() => {
      maxQueued = Math.max(maxQueued, seeder.handle.peers().find((p) => p.key === key)?.requestsQueued ?? 0);
      maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    }, 2);
    try {
      const frames = Buffer.concat(
        Array.from({ length: count }, (_, i) => encodeMessage({ type: 'request', index: i % 124, begin: (i & 1) * 16384, length: 16384 })),
      );
      raw.write(frames);
      await until(() => answered === count || raw.closed, { what: 'an answer (block or reject) to every request', timeoutMs: 60_000 });
    } finally {
      clearInterval(sampler);
    }
    // Closed: the seeder's peer-closed event gives the reason for the failure below.
    if (raw.closed) await seeder.closures.reasonFor(incomingAddress(raw)).catch(() => undefined);
    assert.ok(!raw.closed, `closed after ${answered} answers: ${seeder.closures.reasonsFor(incomingAddress(raw)).join(', ')} ${String(raw.decodeError ?? '')}`);
    assert.equal(answered, count);
    assert.ok(maxQueued <= 250, `queue reached ${maxQueued}`);
    assert.ok(seeder.handle.transferStats().upload.overflow > 0);
    // The 5 MB of requests and their answers pass through; nothing proportional to the flood is kept.
    assert.ok(maxHeap - heapBefore < 256 * 1024 * 1024, `heap grew by ${((maxHeap - heapBefore) / 1048576).toFixed(0)} MiB`);
    raw.destroy();
  }));

interface Victim {
  handle: TorrentHandle;
  closures: ClosureLog;
  /** How the victim names the raw peer in its events. */
  address: string;
}

/**
 * The leecher side: a raw peer the victim dials (it has every piece and unchokes at once), while the
 * victim also downloads from an honest seeder and must finish byte-exact.
 */
async function againstLeecher(
  script: (raw: TcpRawPeer, victim: Victim) => Promise<void>,
  options: { handshakeTimeoutMs?: number; answerHandshake?: boolean; infoHash?: Buffer } = {},
) {
  const seeder = await startSeeder(payload);
  const server = await listenRawPeers((raw) => {
    if (options.answerHandshake === false) return;
    raw.handshake({ infoHash: options.infoHash ?? payload.meta.infoHash, peerId: RAW_PEER_ID, flags: { fastExtension: true } });
    raw.send(HAVE_ALL, UNCHOKE);
  });
  const victimSession = await startSession({ handshakeTimeoutMs: options.handshakeTimeoutMs });
  const dir = payload.dir(`victim-${server.port}`);
  const handle = victimSession.add(payload.meta, { downloadDir: dir, noTrackers: true, peers: [{ host, port: server.port }] });
  const closures = new ClosureLog(handle);
  const done = handle.whenComplete();
  done.catch(() => {});
  try {
    const raw = await server.next();
    await script(raw, { handle, closures, address: `${host}:${server.port}` });
    handle.addPeers([{ host, port: seeder.session.port }]);
    await done;
    payload.assertSame(dir);
  } finally {
    await victimSession.close();
    await seeder.session.close();
    await server.close();
  }
}


test('a piece that was never requested closes the connection', () =>
  againstLeecher(async (raw, v) => {
    await until(() => raw.received.some((m) => m.type === 'request'), { what: 'a request from the victim' });
    const asked = raw.received.find((m) => m.type === 'request') as Request;
    // Same piece, but an offset nobody asks for (not block-aligned): never requested.
    raw.send({ type: 'piece', index: asked.index, begin: asked.begin + 1, block: Buffer.alloc(16384) });
    const reason = await v.closures.reasonFor(v.address);
    assert.match(reason, /never requested: piece \d+ at \d+/);
    await raw.whenClosed();
  }));

test('a late answer to a request we cancelled is dropped quietly', () =>
  againstLeecher(async (raw, v) => {
    const { handle, closures, address } = v;
    // Hold the requests unanswered, pause the download (which cancels them), then answer them anyway.
    await until(() => raw.received.filter((m) => m.type === 'request').length >= 8, { what: 'requests from the victim' });
    handle.pause();
    await until(() => raw.received.some((m) => m.type === 'cancel'), { what: 'cancels after the pause' });
    const requests = raw.take().filter((m): m is Request => m.type === 'request');
    const stats = () => handle.transferStats().download;
    const wastedBefore = stats().wastedBytes;
    for (const r of requests) raw.send({ type: 'piece', index: r.index, begin: r.begin, block: blockOf(payload, r) });
    await until(() => stats().wastedBytes >= wastedBefore + requests.reduce((sum, r) => sum + r.length, 0), {
      what: () =>
        `the late blocks dropped: ${requests.length} sent, wasted ${stats().wastedBytes - wastedBefore}, closed ${raw.closed} ${JSON.stringify(closures.events)} state ${handle.state} ${JSON.stringify(stats())}`,
    });
    // From now on the raw peer serves honestly, and the download resumes from both peers.
    raw.onMessage((m) => {
      if (m.type === 'request') raw.send({ type: 'piece', index: m.index, begin: m.begin, block: blockOf(payload, m) });
    });
    handle.resume();
    // The connection outlived the late blocks: after RESUME the victim asks on it again.
    await until(() => raw.received.some((m) => m.type === 'request') || raw.closed, { what: 'a request on the same connection after RESUME' });
    assert.ok(!raw.closed, `closed: ${closures.reasonsFor(address).join(', ')}`);
    assert.deepEqual(closures.reasonsFor(address), []);
  }));

test('an outgoing handshake that never completes (slowloris) is closed: handshake timed out', () =>
  againstLeecher(
    async (raw, v) => {
        raw.write(Buffer.from([19, ...Buffer.from('BitTorrent prot')])); // and then nothing
      const reason = await v.closures.reasonFor(v.address);
      assert.match(reason, /handshake timed out/);
      await raw.whenClosed();
    },
    { handshakeTimeoutMs: 300, answerHandshake: false },
  ));

test('a handshake with the wrong infohash is closed: handshake for another torrent', () =>
  againstLeecher(
    async (raw, v) => {
        const reason = await v.closures.reasonFor(v.address);
      assert.match(reason, /another torrent/);
      await raw.whenClosed();
    },
    { infoHash: Buffer.alloc(20, 0xab) },
  ));
