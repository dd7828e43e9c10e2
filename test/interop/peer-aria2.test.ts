/**
 * Data moves between actorrent and aria2 1.36, both ways, for a single-file and a multi-file torrent
 * (nested folders, a zero-length file, a short last piece), and every file arrives byte-exact.
 * aria2 cannot dial a peer it is given, so the peers meet through an in-test HTTP tracker on
 * 127.0.0.1 named in the torrent; aria2 runs with DHT, LPD and PEX off and `--bt-require-crypto=false`
 * (test/interop/clients/aria2.ts). When a transfer fails, the message carries aria2's debug log.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { requireTool } from '../support/tools.js';
import { startAria2 } from './clients/aria2.js';
import type { BackgroundProcess } from './clients/background.js';
import { freePort } from './clients/bounded.js';
import { type SwarmTracker, startSwarmTracker } from './clients/swarm-tracker.js';

const SIZE = 4_000_000; // not a multiple of either piece length: the last piece is short
const layouts = [
  { label: 'single-file', multiFile: false, pieceLength: 256 * 1024 },
  // Small pieces, so many of them straddle file boundaries (and the zero-length file).
  { label: 'multi-file', multiFile: true, pieceLength: 64 * 1024 },
];
const hasAria2 = ['aria2c', '--version'];
const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json'], { timeoutMs: 60_000 });

/** The end of aria2's debug log, for a failure message. */
function logTail(file: string, lines = 60): string {
  if (!existsSync(file)) return '(no aria2 log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

describe('aria2 ⇄ actorrent: peer wire transfers through an HTTP tracker', { timeout: 90_000 }, () => {
  for (const layout of layouts) {
    test(`aria2 seeds, actorrent downloads (${layout.label})`, async (t) => {
      if (!requireTool(t, hasAria2, 'aria2')) return;
      const tracker = await startSwarmTracker();
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength, trackers: [tracker.url] });
      const log = path.join(payload.root, 'aria2.log');
      let seeder: BackgroundProcess | undefined;
      let leecher: CliProcess | undefined;
      try {
        const ariaPort = await freePort();
        seeder = startAria2({ mode: 'seed', torrentFile: payload.torrentFile, dir: payload.seedDir, listenPort: ariaPort, lifetimeSeconds: 40, logFile: log });
        // aria2 announces once its hash check has passed; then the tracker can hand it to us.
        const seen = await tracker.announced('A2-').catch((e: Error) => {
          throw new Error(`${e.message}\naria2: ${seeder!.stdout()}${seeder!.stderr()}\n${logTail(log)}`);
        });
        assert.equal(seen.left, 0, 'aria2 announced itself as a seed');

        const out = payload.dir('actorrent');
        const started = performance.now();
        leecher = cli(['download', payload.torrentFile, '-o', out]);
        const exit = await leecher.exitWithin(30_000).catch((e: Error) => {
          throw new Error(`${e.message}\nactorrent: ${leecher!.stdout()}\naria2 log:\n${logTail(log)}`);
        });
        const ms = performance.now() - started;
        assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}\naria2 log:\n${logTail(log)}`);
        payload.assertSame(out);

        // We dialled the address the tracker gave, and named aria2 from its peer id (A2-1-36-0-…).
        const connected = leecher.events().filter((e) => e.event === 'peer-connected');
        const fromAria = connected.find((e) => e.address === `127.0.0.1:${String(ariaPort)}`);
        assert.ok(fromAria, `a connection to aria2 at its announced port; saw ${JSON.stringify(connected)}`);
        assert.match(String(fromAria.client), /^aria2 1\.\d+\.\d+$/);
        t.diagnostic(`${layout.label}: aria2 → actorrent ${SIZE} bytes in ${ms.toFixed(0)} ms (process start and announce included)`);
      } finally {
        leecher?.kill();
        await seeder?.stop();
        await tracker.close();
        payload.cleanup();
      }
    });

    test(`actorrent seeds, aria2 downloads (${layout.label})`, async (t) => {
      if (!requireTool(t, hasAria2, 'aria2')) return;
      const tracker: SwarmTracker = await startSwarmTracker();
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength, trackers: [tracker.url] });
      const log = path.join(payload.root, 'aria2.log');
      let seeder: CliProcess | undefined;
      let leecher: BackgroundProcess | undefined;
      try {
        seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
        const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
        await seeder.waitForEvent((e) => e.event === 'tracker' && e.ok === true);
        const ours = await tracker.announced('-AC');
        assert.equal(ours.port, port, 'we announced the port we listen on');
        assert.equal(ours.left, 0);

        const out = payload.dir('aria2');
        const started = performance.now();
        leecher = startAria2({ mode: 'leech', torrentFile: payload.torrentFile, dir: out, listenPort: await freePort(), lifetimeSeconds: 40, logFile: log });
        const code = await leecher.exitWithin(40_000).catch((e: Error) => {
          throw new Error(`${e.message}\nactorrent: ${seeder!.stdout()}\naria2 log:\n${logTail(log)}`);
        });
        const ms = performance.now() - started;
        assert.equal(code, 0, `aria2 did not complete: ${leecher.stdout()}${leecher.stderr()}\nactorrent: ${seeder.stdout()}\naria2 log:\n${logTail(log)}`);
        assert.match(leecher.stdout(), /\|OK\s+\|/, 'aria2 reports the download OK');
        payload.assertSame(out);

        const connected = await seeder.waitForEvent((e) => e.event === 'peer-connected', 5000);
        assert.equal(connected.direction, 'incoming');
        assert.match(String(connected.client), /^aria2 1\.\d+\.\d+$/);
        // aria2 announces its new pieces with a whole bitfield (or have-all) whenever that is shorter
        // than the haves; we used to close on those, and aria2 reconnected after every piece.
        const connections = seeder.events().filter((e) => e.event === 'peer-connected');
        assert.equal(connections.length, 1, `one connection carried the whole download: ${JSON.stringify(seeder.events().filter((e) => e.event.startsWith('peer-')))}`);
        const lateAnnouncements = readFileSync(log, 'utf8').match(new RegExp(`To: 127\\.0\\.0\\.1:${String(port)} (bitfield|have all)`, 'g')) ?? [];
        t.diagnostic(
          `${layout.label}: actorrent → aria2 ${SIZE} bytes in ${ms.toFixed(0)} ms (process start and announce included); ` +
            `aria2 sent us ${lateAnnouncements.length} bitfield/have-all messages after its have-none`,
        );
      } finally {
        await leecher?.stop();
        seeder?.kill();
        await tracker.close();
        payload.cleanup();
      }
    });
  }
});
