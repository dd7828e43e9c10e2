/**
 * Hostile metadata: a scripted peer offers the info dictionary with the right size but wrong bytes.
 * Its copy fails, so it is banned and disconnected; an honest seeder added then gives the true
 * dictionary and the download completes. (Blame among several senders is unit-tested with the
 * assembly in test/engine/metadata-assembly.test.ts.) A peer announcing a dictionary over the size cap is dropped at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeExtendedHandshake } from '../../src/protocol/extension/handshake.js';
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceLength } from '../../src/protocol/extension/ut-metadata.js';
import type { Metainfo } from '../../src/protocol/metainfo/index.js';
import { EXTENDED_HANDSHAKE_ID } from '../../src/protocol/wire/index.js';
import { Session } from '../../src/session.js';
import { makePayload } from '../engine/swarm-helpers.js';
import { type RawPeerServer, type TcpRawPeer, listenRawPeers } from '../support/tcp-raw-peer.js';
import { until } from '../support/until.js';

const LIAR_ID = Buffer.from('-XX0001-liarliarliar');

/** Answers every metadata request with random bytes of the right length. */
function lyingPeer(meta: Metainfo, offeredSize: number): (peer: TcpRawPeer) => void {
  return (peer) => {
    peer.onMessage((message) => {
      if (message.type === 'handshake') {
        peer.handshake({ infoHash: meta.infoHash, peerId: LIAR_ID, flags: { extensionProtocol: true, fastExtension: true } });
        peer.send({ type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload: encodeExtendedHandshake({ m: { ut_metadata: 7 }, metadataSize: offeredSize }) });
        peer.send({ type: 'have-all' });
        return;
      }
      // We told it ut_metadata is our 7; it answers on the leecher's id, 2.
      if (message.type !== 'extended' || message.id !== 7) return;
      const request = decodeMetadataMessage(message.payload);
      if (request.type !== 'request') return;
      const data = randomBytes(metadataPieceLength(offeredSize, request.piece));
      peer.send({ type: 'extended', id: 2, payload: encodeMetadataMessage({ type: 'data', piece: request.piece, totalSize: offeredSize, data }) });
    });
  };
}

test('a peer sending metadata that does not match the infohash is banned; the download completes', async () => {
  const payload = await makePayload({ multiFile: true, size: 20_000_000, pieceLength: 16384 });
  const seeder = new Session({ host: '127.0.0.1' });
  const leecher = new Session({ host: '127.0.0.1' });
  let liars: RawPeerServer | undefined;
  try {
    const port = await seeder.listen();
    await leecher.listen();
    const seeding = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    await until(() => seeding.progress().state === 'seeding', { what: 'the seeder checked its data' });
    liars = await listenRawPeers(lyingPeer(payload.meta, payload.meta.infoBytes.length));

    // The liar alone first: it is asked every piece, its copy fails, and that proves it lied.
    const fetch = leecher.fetchMetadata(payload.meta.infoHash, { peers: [{ host: '127.0.0.1', port: liars.port }] });
    const dropped: string[] = [];
    fetch.events$.subscribe((e) => e.type === 'metadata-peer-dropped' && dropped.push(`${e.address}: ${e.reason}`));
    await until(() => dropped.length > 0, { what: 'the liar dropped' });
    assert.match(dropped[0]!, /sent metadata that does not match the infohash$/);
    fetch.addPeers([{ host: '127.0.0.1', port }]);
    const fetched = await fetch.whenFetched();
    assert.ok(fetched.meta.infoBytes.equals(payload.meta.infoBytes));
    const liar = await liars.next();
    await until(() => liar.closed, { what: 'the liar disconnected' });
    assert.ok(!fetched.peers.some((p) => p.port === liars!.port), 'the liar is not handed to the download');

    const out = payload.dir('leech');
    await leecher.add(fetched.meta, { downloadDir: out, peers: fetched.peers, noTrackers: true }).whenComplete();
    payload.assertSame(out);
  } finally {
    await leecher.close();
    await seeder.close();
    await liars?.close();
    payload.cleanup();
  }
});

test('a peer that offers metadata but never answers is asked twice, then no more; an honest seeder added later completes the fetch', async () => {
  const payload = await makePayload({ multiFile: true, size: 20_000_000, pieceLength: 16384 });
  const seeder = new Session({ host: '127.0.0.1' });
  const leecher = new Session({ host: '127.0.0.1' });
  let silent: RawPeerServer | undefined;
  try {
    const port = await seeder.listen();
    await leecher.listen();
    const seeding = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
    await until(() => seeding.progress().state === 'seeding', { what: 'the seeder checked its data' });
    let requests = 0;
    silent = await listenRawPeers((peer) => {
      peer.onMessage((message) => {
        if (message.type === 'handshake') {
          peer.handshake({ infoHash: payload.meta.infoHash, peerId: LIAR_ID, flags: { extensionProtocol: true } });
          peer.send({ type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload: encodeExtendedHandshake({ m: { ut_metadata: 7 }, metadataSize: payload.meta.infoBytes.length }) });
        } else if (message.type === 'extended' && message.id === 7) requests++;
      });
    });
    const fetch = leecher.fetchMetadata(payload.meta.infoHash, { peers: [{ host: '127.0.0.1', port: silent.port }], requestTimeoutMs: 300 });
    const pieces = Math.ceil(payload.meta.infoBytes.length / 16384);
    await until(() => requests === 2 * pieces, { what: `${2 * pieces} requests (asked twice)`, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(requests, 2 * pieces, 'not asked a third time');
    assert.equal(fetch.progress().state, 'fetching');
    fetch.addPeers([{ host: '127.0.0.1', port }]);
    const fetched = await fetch.whenFetched();
    assert.ok(fetched.meta.infoBytes.equals(payload.meta.infoBytes));
  } finally {
    await leecher.close();
    await seeder.close();
    await silent?.close();
    payload.cleanup();
  }
});

test('a peer offering metadata over the size cap is dropped with the reason', async () => {
  const payload = await makePayload({ multiFile: false, size: 100_000, pieceLength: 16384 });
  const leecher = new Session({ host: '127.0.0.1' });
  let liars: RawPeerServer | undefined;
  try {
    await leecher.listen();
    liars = await listenRawPeers(lyingPeer(payload.meta, 9 * 1024 * 1024));
    const fetch = leecher.fetchMetadata(payload.meta.infoHash, { peers: [{ host: '127.0.0.1', port: liars.port }] });
    const dropped: string[] = [];
    fetch.events$.subscribe((e) => e.type === 'metadata-peer-dropped' && dropped.push(e.reason));
    const liar = await liars.next();
    await until(() => liar.closed, { what: 'the oversized offer closed' });
    assert.deepEqual(dropped, [`metadata_size ${9 * 1024 * 1024} is over the ${8 * 1024 * 1024} byte cap`]);
    assert.equal(fetch.progress().state, 'searching');
    await fetch.stop();
    await assert.rejects(fetch.whenFetched(), /stopped before the metadata arrived/);
  } finally {
    await leecher.close();
    await liars?.close();
    payload.cleanup();
  }
});
