/**
 * Transmission 3.00 seeds → actorrent downloads, for a single-file and a multi-file torrent (nested
 * folders, a zero-length file, a short last piece), byte-exact. actorrent dials Transmission's peer
 * port on 127.0.0.1 directly (no tracker). The daemon runs with DHT, LPD, uTP, PEX and port
 * forwarding off, encryption at its default (preferred, plaintext accepted), and RPC on 127.0.0.1
 * (test/interop/clients/transmission.ts).
 *
 * The other direction (Transmission as a leecher) is not here: Transmission ignores peers in
 * 127.0.0.0/8 when it dials, so it needs the network-namespace setup of the multi-host test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, startCli } from '../support/cli.js';
import { requireTool } from '../support/tools.js';
import { until } from '../support/until.js';
import { type Transmission, type TransmissionInfo, startTransmission } from './clients/transmission.js';

const SIZE = 4_000_000; // not a multiple of either piece length: the last piece is short
const layouts = [
  { label: 'single-file', multiFile: false, pieceLength: 256 * 1024 },
  { label: 'multi-file', multiFile: true, pieceLength: 64 * 1024 },
];
const hasTransmission = ['transmission-daemon', '--version'];

/** Adds the torrent with its data in `dir`, has it verified and started; resolves once it seeds. */
async function seedWith(daemon: Transmission, torrentFile: string, dir: string, hash: string): Promise<void> {
  await daemon.remote(['-a', torrentFile, '-w', dir]);
  await daemon.remote(['-t', hash, '-v']);
  await daemon.remote(['-t', hash, '-s']);
  let info: TransmissionInfo | undefined;
  await until(async () => (info = await daemon.info(hash)).percentDone === '100%' && /Seeding|Idle/.test(info.state), {
    what: () => `Transmission seeding: ${JSON.stringify(info)}`,
    timeoutMs: 20_000,
    intervalMs: 200,
  });
}

describe('Transmission → actorrent: peer wire transfers', { timeout: 90_000 }, () => {
  for (const layout of layouts) {
    test(`Transmission seeds, actorrent downloads (${layout.label})`, async (t) => {
      if (!requireTool(t, hasTransmission, 'transmission-daemon')) return;
      if (!requireTool(t, ['transmission-remote', '--version'], 'transmission-cli')) return;
      const payload = await makePayload({ multiFile: layout.multiFile, size: SIZE, pieceLength: layout.pieceLength });
      let daemon: Transmission | undefined;
      let leecher: CliProcess | undefined;
      try {
        daemon = await startTransmission(payload.dir('transmission'), 60);
        await seedWith(daemon, payload.torrentFile, payload.seedDir, payload.meta.infoHashHex);

        const out = payload.dir('actorrent');
        const started = performance.now();
        leecher = startCli(
          ['download', payload.torrentFile, '-o', out, '--port', '0', '--bind', '127.0.0.1', '--json', '--peer', `127.0.0.1:${String(daemon.peerPort)}`],
          { timeoutMs: 60_000 },
        );
        const exit = await leecher.exitWithin(40_000);
        const ms = performance.now() - started;
        assert.equal(exit.status, 0, `actorrent download failed: ${exit.stderr}\n${exit.stdout}`);
        payload.assertSame(out);

        const connected = leecher.events().find((e) => e.event === 'peer-connected');
        assert.equal(connected?.direction, 'outgoing');
        assert.match(String(connected?.client), /^Transmission 3\.\d\d/);
        t.diagnostic(`${layout.label}: Transmission → actorrent ${SIZE} bytes in ${ms.toFixed(0)} ms (process start included)`);
      } finally {
        leecher?.kill();
        await daemon?.stop();
        payload.cleanup();
      }
    });
  }
});
