import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WireMessage } from '../../src/protocol/wire/index.js';
import { seededRng } from '../../src/env/rng.js';
import { FakePeer } from '../../src/sim/fake-peer.js';
import { makePayload } from '../../src/sim/payload.js';
import { PayloadStorage } from '../../src/sim/payload-storage.js';
import { runSimulation, runUntilSettled } from '../../src/sim/scheduler.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import { Session } from '../../src/session.js';

test('a scripted fake peer talks raw wire messages to a real seeder over the simulated network, then misbehaves', { timeout: 30_000 }, async () => {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, rng: seededRng(1), defaultLink: { latencyMs: 25 } });
  const { meta, bytes } = makePayload({ size: 256 * 1024, pieceLength: 64 * 1024, seed: 4 });
  const seederHost = network.host('10.0.0.1');
  const session = new Session({
    host: '10.0.0.1',
    port: 6881,
    transport: seederHost,
    clock,
    rng: seededRng(2),
    storage: { open: () => new PayloadStorage(meta, bytes, { complete: true }) },
  });
  await session.listen();
  session.add(meta, { downloadDir: '/sim', seed: true, noTrackers: true, trustedHave: Buffer.alloc(1, 0xf0) });

  const socket = await runUntilSettled(clock, network.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881, timeoutMs: 5000 }), 10_000);
  const got: WireMessage[] = [];
  const peer = new FakePeer(socket).onMessage((message) => got.push(message));
  peer.handshake(meta.infoHash, Buffer.from('-XX0001-fakefakefake'));
  // Runs simulated time until such a message has come.
  const simulateUntilReceived = (what: (m: WireMessage) => boolean) =>
    runSimulation(clock, { until: () => got.some(what), deadline: clock.now() + 30_000 });

  await simulateUntilReceived((m) => m.type === 'handshake');
  assert.ok(got.some((m) => m.type === 'bitfield' || m.type === 'have-all'), 'the seeder announced its pieces');
  peer.send({ type: 'interested' });
  await simulateUntilReceived((m) => m.type === 'unchoke');
  peer.send({ type: 'request', index: 2, begin: 16 * 1024, length: 16 * 1024 });
  await simulateUntilReceived((m) => m.type === 'piece');
  const piece = got.find((m) => m.type === 'piece');
  assert.ok(piece?.type === 'piece' && piece.block.equals(bytes.subarray(2 * 64 * 1024 + 16 * 1024, 2 * 64 * 1024 + 32 * 1024)), 'the right bytes');

  // Hostile: a request past the end of the torrent. The seeder drops the connection.
  peer.send({ type: 'request', index: 9, begin: 0, length: 16 * 1024 });
  await runSimulation(clock, { until: () => peer.closed, deadline: clock.now() + 30_000 });
  assert.equal(peer.closed, true);
  const closing = session.close();
  await runUntilSettled(clock, closing, clock.now() + 60_000);
});
