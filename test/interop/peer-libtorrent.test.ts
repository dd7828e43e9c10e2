/**
 * Data moves between actorrent and libtorrent-rasterbar 2.0 (python3-libtorrent), both ways, for a
 * single-file and a multi-file torrent (nested folders, a zero-length file, a short last piece),
 * and every file arrives byte-exact. The peers find each other by a direct dial on 127.0.0.1 (no
 * tracker); libtorrent runs with its default encryption policy (MSE first), TCP only, DHT/LSD/UPnP/NAT-PMP/PEX off
 * (test/interop/clients/libtorrent_peer.py).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import type { BackgroundProcess } from './clients/background.js';
import { startLibtorrentPeer } from './clients/libtorrent.js';

const SIZE = 4_000_000; // not a multiple of either piece length: the last piece is short
const layouts = [
  { label: 'single-file', multiFile: false, pieceLength: 256 * 1024 },
  // Small pieces, so many of them straddle file boundaries (and the zero-length file).
  { label: 'multi-file', multiFile: true, pieceLength: 64 * 1024 },
];
const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json'], { timeoutMs: 60_000 });

describe('libtorrent ⇄ actorrent: peer wire transfers', { timeout: 90_000 }, () => {
  for (const layout of layouts) {
    test(`libtorrent seeds, actorrent downloads (${layout.label})`, async (t) => {
      if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength });
      let seeder: BackgroundProcess | undefined;
      let leecher: CliProcess | undefined;
      try {
        seeder = startLibtorrentPeer({ mode: 'seed', torrentFile: payload.torrentFile, savePath: payload.seedDir, lifetimeSeconds: 40 });
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'seeding', 15_000);

        const out = payload.dir('actorrent');
        const started = performance.now();
        // Limited to about 2 s: libtorrent closes a seed-to-seed connection at once, and its script sees a
        // peer (id, extension bit) only by polling every 100 ms; an unlimited 4 MB transfer can end sooner.
        leecher = cli(['download', payload.torrentFile, '-o', out, '--peer', `127.0.0.1:${String(port)}`, '--download-limit', '2M']);
        const exit = await leecher.exitWithin(30_000);
        const ms = performance.now() - started;
        assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}\nlibtorrent: ${seeder.stdout()}`);
        payload.assertSame(out);

        // actorrent named the seeder from its peer id (-LT2080-).
        const connected = leecher.events().find((e) => e.event === 'peer-connected');
        assert.equal(connected?.direction, 'outgoing');
        assert.match(String(connected?.client), /^libtorrent \(Rasterbar\) 2\.0/);
        // libtorrent read our BEP 20 peer id and saw the extension protocol bit (BEP 10).
        const seen = await seeder.waitForEvent((e) => e.event === 'peer', 5000);
        assert.match(String(seen.pid), /^-AC\d{4}-/);
        assert.equal(seen.outgoing, false);
        assert.equal(seen.supports_extensions, true);
        t.diagnostic(`${layout.label}: libtorrent → actorrent ${SIZE} bytes in ${ms.toFixed(0)} ms (process start included); libtorrent calls us "${String(seen.client)}"`);
      } finally {
        leecher?.kill();
        await seeder?.stop();
        payload.cleanup();
      }
    });

    test(`actorrent seeds, libtorrent downloads (${layout.label})`, async (t) => {
      if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength });
      let seeder: CliProcess | undefined;
      let leecher: BackgroundProcess | undefined;
      try {
        seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'seeding');

        const out = payload.dir('libtorrent');
        const started = performance.now();
        leecher = startLibtorrentPeer({ mode: 'leech', torrentFile: payload.torrentFile, savePath: out, lifetimeSeconds: 30, connectTo: `127.0.0.1:${String(port)}` });
        const code = await leecher.exitWithin(35_000);
        const ms = performance.now() - started;
        assert.equal(code, 0, `libtorrent did not complete: ${leecher.stdout()}${leecher.stderr()}\nactorrent: ${seeder.stdout()}${seeder.stderr()}`);
        const complete = leecher.events().find((e) => e.event === 'complete');
        assert.equal(complete?.downloaded, SIZE, 'libtorrent fetched every byte once, from us');
        payload.assertSame(out);

        const connected = await seeder.waitForEvent((e) => e.event === 'peer-connected', 5000);
        assert.equal(connected.direction, 'incoming');
        assert.match(String(connected.client), /^libtorrent \(Rasterbar\) 2\.0/);
        assert.ok(!leecher.events().some((e) => e.event === 'alert' && /hash_failed/.test(String(e.type))), 'no piece failed its hash in libtorrent');
        // libtorrent's default out_enc_policy dials with MSE first, which the seeder (CLI default
        // `--encryption prefer`) answers: one dial (test/interop/encryption.test.ts times it).
        const dials = leecher.events().filter((e) => e.event === 'alert' && e.type === 'peer_connect_alert').length;
        t.diagnostic(
          `${layout.label}: actorrent → libtorrent ${SIZE} bytes in ${ms.toFixed(0)} ms (libtorrent's own count: ${String(complete?.seconds)} s, ${dials} dials)`,
        );
      } finally {
        await leecher?.stop();
        seeder?.kill();
        payload.cleanup();
      }
    });
  }
});
