import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filter, firstValueFrom } from 'rxjs';
import { systemClock } from '../../src/env/clock.js';
import { decodeLsdAnnounce, encodeLsdAnnounce } from '../../src/protocol/lsd.js';
import { Session } from '../../src/session.js';
import { LsdLan } from '../../src/sim/lsd-lan.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { until } from '../support/until.js';

/*
 * The Session's LSD: real TCP on 127.0.0.1, with the multicast LAN in memory (src/sim/lsd-lan.ts),
 * so nothing is multicast. The peers are given no tracker and no address: LSD alone brings them together.
 */

async function lsdSession(lan: LsdLan, options: { lsd?: boolean } = {}): Promise<Session> {
  const session = new Session({ host: '127.0.0.1', port: 0, lsd: options.lsd ?? true, lsdSocket: lan.factory('127.0.0.1') });
  await session.listen();
  return session;
}

const announced = (lan: LsdLan) => lan.sent.map((s) => decodeLsdAnnounce(s.data));

test('a leecher and a seeder find each other by LSD alone; the seeder dials the leecher it heard (source lsd)', { timeout: 30_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: 300_000, pieceLength: 16384 });
  const lan = new LsdLan(systemClock);
  const seeder = await lsdSession(lan);
  const leecher = await lsdSession(lan);
  try {
    const seed = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    await withTimeout(seed.whenComplete(), 10_000, 'the seeder checked its data');
    // The seeder announced before the leecher was there: the leecher's own announce, on start, is
    // what brings them together (the seeder hears it and dials).
    const heard = firstValueFrom(seeder.lsdEvents$.pipe(filter((e) => e.type === 'peer')));
    const dialled = firstValueFrom(seed.events$.pipe(filter((e) => e.type === 'peer-connected')));
    const dir = payload.dir('leech');
    const handle = leecher.add(payload.meta, { downloadDir: dir, noTrackers: true });
    await withTimeout(handle.whenComplete(), 20_000, 'the download through a peer found by LSD');
    payload.assertSame(dir);
    assert.deepEqual(await withTimeout(heard, 1000, 'the seeder hearing the leecher'), { type: 'peer', infoHash: payload.meta.infoHashHex, address: `127.0.0.1:${leecher.port}` });
    const connected = (await withTimeout(dialled, 1000, 'the seeder dialling')) as { direction?: string; source?: string };
    assert.deepEqual([connected.direction, connected.source], ['outgoing', 'lsd']);
    const ports = announced(lan).map((a) => a.port);
    assert.ok(ports.includes(seeder.port) && ports.includes(leecher.port), `both announced their listening port: ${ports.join(', ')}`);
  } finally {
    await Promise.all([seeder.close(), leecher.close()]);
    payload.cleanup();
  }
  assert.equal(lan.open, 0, 'close() closed both LSD sockets');
});

test('private torrents (BEP 27), torrents added with lsd: false and sessions without lsd are never announced', { timeout: 30_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: 40_000, pieceLength: 16384 });
  const other = await makePayload({ multiFile: false, size: 40_000, pieceLength: 16384 });
  const lan = new LsdLan(systemClock);
  const withLsd = await lsdSession(lan);
  const without = await lsdSession(lan, { lsd: false });
  try {
    withLsd.add({ ...payload.meta, private: true }, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    withLsd.add(other.meta, { downloadDir: other.seedDir, seed: true, noTrackers: true, lsd: false });
    without.add(payload.meta, { downloadDir: payload.dir('x'), noTrackers: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(lan.sent, []);
    assert.equal(lan.open, 0, 'no socket was even opened');
  } finally {
    await Promise.all([withLsd.close(), without.close()]);
    payload.cleanup();
    other.cleanup();
  }
});

test('a stopped torrent leaves LSD: announces for it are no longer taken', { timeout: 30_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: 40_000, pieceLength: 16384 });
  const lan = new LsdLan(systemClock);
  const session = await lsdSession(lan);
  const peers: string[] = [];
  session.lsdEvents$.subscribe((e) => e.type === 'peer' && peers.push(e.address));
  try {
    const handle = session.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    await withTimeout(handle.whenComplete(), 10_000, 'the data checked');
    await until(() => lan.sent.length === 1, { what: 'the first announce' });
    lan.inject('127.0.0.1', encodeLsdAnnounce({ family: 'IPv4', port: 40001, infoHashes: [payload.meta.infoHashHex] }));
    await until(() => peers.length === 1, { what: 'the peer heard while the torrent runs' });
    await handle.stop();
    lan.inject('127.0.0.1', encodeLsdAnnounce({ family: 'IPv4', port: 40002, infoHashes: [payload.meta.infoHashHex] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(peers, ['127.0.0.1:40001']);
  } finally {
    await session.close();
    payload.cleanup();
  }
});

test('a magnet link with no tracker and no peer: the metadata comes from a seeder found by LSD', { timeout: 30_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: 300_000, pieceLength: 16384 });
  const lan = new LsdLan(systemClock);
  const seeder = await lsdSession(lan);
  const leecher = await lsdSession(lan);
  try {
    const seed = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    await withTimeout(seed.whenComplete(), 10_000, 'the seeder checked its data');
    const fetch = leecher.fetchMetadata(payload.meta.infoHash);
    const fetched = await withTimeout(fetch.whenFetched(), 15_000, 'the metadata through a peer found by LSD');
    assert.ok(fetched.meta.infoBytes.equals(payload.meta.infoBytes));
    assert.ok(announced(lan).some((a) => a.port === leecher.port && a.infoHashes.includes(payload.meta.infoHashHex)), 'the magnet was announced');
  } finally {
    await Promise.all([seeder.close(), leecher.close()]);
    payload.cleanup();
  }
});
