/**
 * uTP (BEP 29) against libtorrent-rasterbar 2.0 with its TCP off (`enable_outgoing_tcp` and
 * `enable_incoming_tcp` false, uTP on): 64 MiB each way, byte-exact, plaintext and with MSE
 * required on both sides (RC4 over uTP). actorrent runs with `--transport utp`, so nothing of the
 * transfer can go over TCP; both ends report the connection as uTP.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import type { BackgroundProcess } from './clients/background.js';
import { startLibtorrentPeer } from './clients/libtorrent.js';

const SIZE = Number(process.env.UTP_INTEROP_BYTES ?? 64 * 1024 * 1024);
const PIECE = 256 * 1024;
const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json', '--transport', 'utp', '--no-dht', '--no-lsd'], { timeoutMs: 120_000 });

const variants = [
  { label: 'plaintext', actorrent: ['--encryption', 'disable'], libtorrent: { encryption: 'disabled' as const } },
  { label: 'MSE required', actorrent: ['--encryption', 'require'], libtorrent: { encryption: 'forced' as const, encLevel: 'rc4' as const } },
];

describe('libtorrent ⇄ actorrent over uTP only', { timeout: 300_000 }, () => {
  for (const v of variants) {
    test(`libtorrent seeds, actorrent downloads over uTP (${v.label})`, async (t) => {
      if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
      const payload = await makePayload({ multiFile: false, size: SIZE, pieceLength: PIECE });
      let seeder: BackgroundProcess | undefined;
      let leecher: CliProcess | undefined;
      try {
        seeder = startLibtorrentPeer({ mode: 'seed', torrentFile: payload.torrentFile, savePath: payload.seedDir, lifetimeSeconds: 100, utpOnly: true, ...v.libtorrent });
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'seeding', 30_000);
        const out = payload.dir('actorrent');
        const started = performance.now();
        leecher = cli(['download', payload.torrentFile, '-o', out, '--peer', `127.0.0.1:${String(port)}`, ...v.actorrent]);
        const exit = await leecher.exitWithin(90_000);
        const ms = performance.now() - started;
        assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout.slice(-3000)}\nlibtorrent: ${seeder.stdout().slice(-3000)}`);
        payload.assertSame(out);
        const connected = leecher.events().find((e) => e.event === 'peer-connected');
        assert.equal(connected?.transport, 'utp', 'actorrent reports the connection as uTP');
        assert.equal(connected?.encryption, v.label === 'plaintext' ? 'none' : 'rc4');
        const seen = await seeder.waitForEvent((e) => e.event === 'peer', 5000);
        assert.equal(seen.transport, 'utp', 'libtorrent reports the connection as uTP');
        assert.equal(seen.encryption, v.label === 'plaintext' ? 'none' : 'rc4');
        t.diagnostic(`libtorrent → actorrent over uTP (${v.label}): ${SIZE} bytes in ${ms.toFixed(0)} ms, ${((SIZE / ms) * 1000 / 1e6).toFixed(1)} MB/s (process start included)`);
      } finally {
        leecher?.kill();
        await seeder?.stop();
        payload.cleanup();
      }
    });

    test(`actorrent seeds, libtorrent downloads over uTP (${v.label})`, async (t) => {
      if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
      const payload = await makePayload({ multiFile: false, size: SIZE, pieceLength: PIECE });
      let seeder: CliProcess | undefined;
      let leecher: BackgroundProcess | undefined;
      try {
        seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir, ...v.actorrent]);
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'seeding', 30_000);
        const out = payload.dir('libtorrent');
        const started = performance.now();
        leecher = startLibtorrentPeer({ mode: 'leech', torrentFile: payload.torrentFile, savePath: out, lifetimeSeconds: 90, connectTo: `127.0.0.1:${String(port)}`, utpOnly: true, ...v.libtorrent });
        const code = await leecher.exitWithin(95_000);
        const ms = performance.now() - started;
        assert.equal(code, 0, `libtorrent did not complete: ${leecher.stdout().slice(-3000)}${leecher.stderr()}\nactorrent: ${seeder.stdout().slice(-3000)}${seeder.stderr()}`);
        const complete = leecher.events().find((e) => e.event === 'complete');
        assert.equal(complete?.downloaded, SIZE, 'libtorrent fetched every byte once, from us');
        payload.assertSame(out);
        const connected = await seeder.waitForEvent((e) => e.event === 'peer-connected', 5000);
        assert.equal(connected.direction, 'incoming');
        assert.equal(connected.transport, 'utp');
        const seen = leecher.events().find((e) => e.event === 'peer');
        assert.equal(seen?.transport, 'utp');
        t.diagnostic(`actorrent → libtorrent over uTP (${v.label}): ${SIZE} bytes in ${ms.toFixed(0)} ms (libtorrent's own count: ${String(complete?.seconds)} s)`);
      } finally {
        await leecher?.stop();
        seeder?.kill();
        payload.cleanup();
      }
    });
  }
});
