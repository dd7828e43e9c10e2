/**
 * A mixed swarm on 127.0.0.1 that meets only through actorrent's tracker (HTTP and UDP on one port,
 * started in-process): an actorrent seeder and three leechers, one each of actorrent, libtorrent
 * 2.0 and aria2, all started at once. Every peer gets its own copy of the torrent naming a single
 * tracker URL (same infohash): the seeder and aria2 announce over HTTP (aria2 speaks UDP trackers
 * only with its DHT on), the actorrent and libtorrent leechers over UDP. Every leecher must end
 * with every file byte-exact; the tracker must have served announces over both protocols.
 * DHT, LSD, PEX, UPnP and uTP are off in every client; nothing dials outside 127.0.0.1.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startTracker } from '../../src/tracker-server.js';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import { writeTorrentWithAnnounce } from './clients/announce.js';
import { startAria2 } from './clients/aria2.js';
import type { BackgroundProcess } from './clients/background.js';
import { freePort } from './clients/bounded.js';
import { startLibtorrentTrackerPeer } from './clients/tracker-interop.js';

const SIZE = 4_000_000;
const layouts = [
  { label: 'single-file', multiFile: false, pieceLength: 256 * 1024 },
  { label: 'multi-file', multiFile: true, pieceLength: 64 * 1024 },
];
const cli = (args: string[]) => startCli([...args, '--port', '0', '--bind', '127.0.0.1', '--json'], { timeoutMs: 60_000 });

describe('mixed swarm through actorrent’s tracker: actorrent seeds; actorrent, libtorrent and aria2 leech', { timeout: 90_000 }, () => {
  for (const layout of layouts) {
    test(`all leechers finish byte-exact (${layout.label})`, async (t) => {
      if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
      if (!requireTool(t, ['aria2c', '--version'], 'aria2')) return;
      // A short interval, so leechers that announced early come back and learn of the later ones.
      const tracker = await startTracker({ host: '127.0.0.1', port: 0, config: { interval: 4 } });
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength });
      const httpTorrent = writeTorrentWithAnnounce(payload.torrent, tracker.announceUrl!, path.join(payload.root, 'http.torrent'));
      const udpTorrent = writeTorrentWithAnnounce(payload.torrent, tracker.udpUrl!, path.join(payload.root, 'udp.torrent'));
      const ariaLog = path.join(payload.root, 'aria2.log');
      let seeder: CliProcess | undefined;
      let ours: CliProcess | undefined;
      let libtorrent: BackgroundProcess | undefined;
      let aria2: BackgroundProcess | undefined;
      try {
        seeder = cli(['seed', httpTorrent, '-o', payload.seedDir]);
        await seeder.waitForEvent((e) => e.event === 'tracker' && e.ok === true, 15_000);

        const outs = { actorrent: payload.dir('actorrent'), libtorrent: payload.dir('libtorrent'), aria2: payload.dir('aria2') };
        const started = performance.now();
        ours = cli(['download', udpTorrent, '-o', outs.actorrent]);
        libtorrent = startLibtorrentTrackerPeer('leech', udpTorrent, outs.libtorrent, 45);
        aria2 = startAria2({ mode: 'leech', torrentFile: httpTorrent, dir: outs.aria2, listenPort: await freePort(), lifetimeSeconds: 45, logFile: ariaLog });

        const context = () =>
          `\nseeder: ${seeder!.stdout()}${seeder!.stderr()}\nactorrent leecher: ${ours!.stdout()}${ours!.stderr()}` +
          `\nlibtorrent: ${libtorrent!.stdout()}${libtorrent!.stderr()}\naria2: ${aria2!.stdout()}${aria2!.stderr()}\ntracker: ${JSON.stringify(tracker.stats())}`;
        const timed = async <T>(p: Promise<T>) => {
          const value = await p;
          return { value, ms: performance.now() - started };
        };
        const [a, l, r] = await Promise.all([timed(ours.exitWithin(50_000)), timed(libtorrent.exitWithin(50_000)), timed(aria2.exitWithin(50_000))]).catch(
          (e: Error) => {
            throw new Error(`${e.message}${context()}`);
          },
        );
        assert.equal(a.value.status, 0, `actorrent leecher failed${context()}`);
        assert.equal(l.value, 0, `libtorrent leecher failed${context()}`);
        assert.equal(r.value, 0, `aria2 leecher failed${context()}`);
        for (const out of Object.values(outs)) payload.assertSame(out);

        // Each met the swarm through the tracker, over the protocol its torrent names.
        const { requests } = tracker.stats();
        assert.ok(requests.http.announce >= 2, `seeder and aria2 announced over HTTP: ${JSON.stringify(requests)}`);
        assert.ok(requests.udp.announce >= 2, `actorrent and libtorrent leechers announced over UDP: ${JSON.stringify(requests)}`);
        assert.equal(requests.udp.failed + requests.http.failed, 0, `no failed tracker request: ${JSON.stringify(requests)}`);
        assert.ok(ours.events().some((e) => e.event === 'tracker' && e.ok === true), 'the actorrent leecher heard from the tracker');
        assert.ok(libtorrent.events().some((e) => e.event === 'tracker-reply' && String(e.url).startsWith('udp://')), 'libtorrent heard from the UDP tracker');

        const clients = (p: CliProcess) => [...new Set(p.events().filter((e) => e.event === 'peer-connected').map((e) => String(e.client)))];
        // The seeder was the only source at the start. Which leechers it met depends on timing: a slow
        // one (aria2 ticks once a second) may get everything from the other leechers, so only the
        // byte-exact copies above say every client took part.
        const served = clients(seeder);
        assert.ok(served.length >= 1, `the seeder served nobody: ${JSON.stringify(served)}`);
        assert.ok(served.every((c) => /^(actorrent |libtorrent \(Rasterbar\) 2\.|aria2 1\.)/.test(c)), `unexpected peers: ${JSON.stringify(served)}`);
        t.diagnostic(
          `${layout.label}: ${SIZE} bytes to each leecher: actorrent ${a.ms.toFixed(0)} ms, libtorrent ${l.ms.toFixed(0)} ms, aria2 ${r.ms.toFixed(0)} ms ` +
            `(process start and announce included); seeder served ${JSON.stringify(clients(seeder))}; actorrent leecher met ${JSON.stringify(clients(ours))}`,
        );
      } finally {
        ours?.kill();
        seeder?.kill();
        await Promise.all([libtorrent?.stop(), aria2?.stop()]);
        await tracker.stop();
        payload.cleanup();
      }
    });
  }
});
