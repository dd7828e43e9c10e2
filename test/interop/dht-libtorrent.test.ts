/**
 * Trackerless magnets over the Mainline DHT with libtorrent, all on 127.0.0.1: an `actorrent dht`
 * node is the only bootstrap node; the seeder announces to the DHT, the leecher holds nothing but
 * the infohash (no tracker, no peer address) and finds the seeder through get_peers, fetches the
 * metadata (BEP 9) and the data, byte-exact. Both ways: libtorrent seeds and actorrent leeches,
 * actorrent seeds and libtorrent leeches. Nothing is sent anywhere but loopback (every node is
 * given --dht-bootstrap / dht_bootstrap_nodes; the well-known routers are never named).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMagnet } from '../../src/protocol/magnet.js';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import type { BackgroundProcess } from './clients/background.js';
import { startLibtorrentPeer } from './clients/libtorrent.js';

const SIZE = 3_000_000;
const PIECE_LENGTH = 32 * 1024;

/** A standalone DHT node on loopback; resolves with it and its port. */
async function startDhtNode(): Promise<{ node: CliProcess; port: number }> {
  const node = startCli(['dht', '--port', '0', '--bind', '127.0.0.1', '--json', '--interval', '0.5'], { timeoutMs: 90_000 });
  const listening = await node.waitForEvent((e) => e.event === 'listening', 20_000);
  return { node, port: Number(listening.port) };
}

/** Resolves once the DHT node stores at least one announced peer. */
function announceStored(node: CliProcess, timeoutMs: number) {
  return node.waitForEvent((e) => e.event === 'stats' && Number(e.peersStored) >= 1, timeoutMs);
}

describe('trackerless magnets over the DHT with libtorrent (loopback)', { timeout: 150_000 }, () => {
  test('libtorrent seeds and announces; actorrent finds it by get_peers from the infohash alone and downloads', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: PIECE_LENGTH });
    let dht: CliProcess | undefined;
    let seeder: BackgroundProcess | undefined;
    let leecher: CliProcess | undefined;
    try {
      const started = await startDhtNode();
      dht = started.node;
      const bootstrap = `127.0.0.1:${started.port}`;
      seeder = startLibtorrentPeer({ mode: 'seed', torrentFile: payload.torrentFile, savePath: payload.seedDir, lifetimeSeconds: 80, dhtBootstrap: bootstrap });
      await seeder.waitForEvent((e) => e.event === 'seeding', 20_000);
      await announceStored(dht, 30_000);

      const out = payload.dir('actorrent');
      const magnet = formatMagnet({ infoHash: payload.meta.infoHash });
      leecher = startCli(['download', magnet, '-o', out, '--port', '0', '--bind', '127.0.0.1', '--json', '--no-lsd', '--dht-bootstrap', bootstrap], { timeoutMs: 70_000 });
      const exit = await leecher.exitWithin(60_000);
      assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}\nlibtorrent: ${seeder.stdout()}`);
      payload.assertSame(out);
      const events = leecher.events();
      assert.ok(events.some((e) => e.event === 'metadata-fetched'), 'the metadata came from the peer found');
      const fromDht = events.filter((e) => e.event === 'peer-connected' && e.source === 'dht');
      assert.ok(fromDht.length >= 1, `the seeder was dialled as a DHT peer: ${JSON.stringify(events.filter((e) => e.event === 'peer-connected'))}`);
    } finally {
      leecher?.kill();
      await seeder?.stop();
      dht?.kill();
      payload.cleanup();
    }
  });

  test('actorrent seeds and announces; libtorrent finds it through the DHT from a magnet link and downloads', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: PIECE_LENGTH });
    let dht: CliProcess | undefined;
    let seeder: CliProcess | undefined;
    let leecher: BackgroundProcess | undefined;
    try {
      const started = await startDhtNode();
      dht = started.node;
      const bootstrap = `127.0.0.1:${started.port}`;
      seeder = startCli(['seed', payload.torrentFile, '-o', payload.seedDir, '--port', '0', '--bind', '127.0.0.1', '--json', '--no-lsd', '--dht-bootstrap', bootstrap], { timeoutMs: 90_000 });
      await announceStored(dht, 30_000);

      const out = payload.dir('libtorrent');
      const magnet = formatMagnet({ infoHash: payload.meta.infoHash });
      leecher = startLibtorrentPeer({ mode: 'leech', torrentFile: magnet, savePath: out, lifetimeSeconds: 60, dhtBootstrap: bootstrap });
      const done = await leecher.waitForEvent((e) => e.event === 'complete', 60_000);
      assert.ok(done, `libtorrent completed: ${leecher.stdout()}`);
      payload.assertSame(out);
      assert.ok(leecher.events().some((e) => e.event === 'dht-reply' && Number(e.peers) >= 1), `libtorrent's get_peers brought a peer: ${leecher.stdout()}`);
      assert.ok(seeder.events().some((e) => e.event === 'peer-connected'), 'libtorrent connected to the actorrent seeder');
    } finally {
      await leecher?.stop();
      seeder?.kill();
      dht?.kill();
      payload.cleanup();
    }
  });
});
