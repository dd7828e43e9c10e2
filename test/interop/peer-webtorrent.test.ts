/**
 * Data moves between actorrent and WebTorrent 1.9.7 (npm, TCP), both ways, for a single-file and a
 * multi-file torrent (nested folders, a zero-length file, a short last piece), and every file
 * arrives byte-exact. The peers meet by a direct dial on 127.0.0.1 (no tracker). WebTorrent runs in
 * its own node process with DHT, LSD, trackers, web seeds and uTP off, the torrent added as private
 * so it loads no ut_pex, and its default (plaintext) wire (test/interop/clients/webtorrent_peer.cjs).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import type { BackgroundProcess } from './clients/background.js';
import { requireWebTorrent, startWebTorrentPeer } from './clients/webtorrent.js';

const SIZE = 4_000_000; // not a multiple of either piece length: the last piece is short
const layouts = [
  { label: 'single-file', multiFile: false, pieceLength: 256 * 1024 },
  // Small pieces, so many of them straddle file boundaries (and the zero-length file).
  { label: 'multi-file', multiFile: true, pieceLength: 64 * 1024 },
];
const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json'], { timeoutMs: 60_000 });

describe('WebTorrent ⇄ actorrent: peer wire transfers', { timeout: 90_000 }, () => {
  for (const layout of layouts) {
    test(`WebTorrent seeds, actorrent downloads (${layout.label})`, async (t) => {
      if (!requireWebTorrent(t)) return;
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength });
      let seeder: BackgroundProcess | undefined;
      let leecher: CliProcess | undefined;
      try {
        seeder = startWebTorrentPeer({ mode: 'seed', torrentFile: payload.torrentFile, dir: payload.seedDir, lifetimeSeconds: 40 });
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'seeding', 15_000);

        const out = payload.dir('actorrent');
        const started = performance.now();
        leecher = cli(['download', payload.torrentFile, '-o', out, '--peer', `127.0.0.1:${String(port)}`]);
        const exit = await leecher.exitWithin(30_000);
        const ms = performance.now() - started;
        assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}\nWebTorrent: ${seeder.stdout()}${seeder.stderr()}`);
        payload.assertSame(out);

        // actorrent named the seeder from its peer id (-WW0107-).
        const connected = leecher.events().find((e) => e.event === 'peer-connected');
        assert.equal(connected?.direction, 'outgoing');
        assert.match(String(connected?.client), /WebTorrent/i);
        // WebTorrent saw our BEP 20 peer id on a TCP wire.
        const wire = await seeder.waitForEvent((e) => e.event === 'wire', 5000);
        assert.equal(wire.type, 'tcpIncoming');
        assert.match(String(wire.peerId), /^-AC\d{4}-/);
        t.diagnostic(`${layout.label}: WebTorrent → actorrent ${SIZE} bytes in ${ms.toFixed(0)} ms (process start included)`);
      } finally {
        leecher?.kill();
        await seeder?.stop();
        payload.cleanup();
      }
    });

    test(`actorrent seeds, WebTorrent downloads (${layout.label})`, async (t) => {
      if (!requireWebTorrent(t)) return;
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength });
      let seeder: CliProcess | undefined;
      let leecher: BackgroundProcess | undefined;
      try {
        seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'seeding');

        const out = payload.dir('webtorrent');
        const started = performance.now();
        leecher = startWebTorrentPeer({ mode: 'leech', torrentFile: payload.torrentFile, dir: out, lifetimeSeconds: 30, connectTo: `127.0.0.1:${String(port)}` });
        const code = await leecher.exitWithin(35_000);
        const ms = performance.now() - started;
        assert.equal(code, 0, `WebTorrent did not complete: ${leecher.stdout()}${leecher.stderr()}\nactorrent: ${seeder.stdout()}${seeder.stderr()}`);
        const complete = leecher.events().find((e) => e.event === 'complete');
        assert.equal(complete?.downloaded, SIZE, 'WebTorrent fetched every byte once, from us');
        payload.assertSame(out);

        const connected = await seeder.waitForEvent((e) => e.event === 'peer-connected', 5000);
        assert.equal(connected.direction, 'incoming');
        assert.match(String(connected.client), /WebTorrent/i);
        const wire = leecher.events().find((e) => e.event === 'wire');
        assert.equal(wire?.type, 'tcpOutgoing');
        assert.match(String(wire?.peerId), /^-AC\d{4}-/);
        t.diagnostic(`${layout.label}: actorrent → WebTorrent ${SIZE} bytes in ${ms.toFixed(0)} ms (WebTorrent's own count: ${String(complete?.seconds)} s)`);
      } finally {
        await leecher?.stop();
        seeder?.kill();
        payload.cleanup();
      }
    });
  }
});
