import { runBounded } from './bounded.js';

/** What `aria2c --show-files` reads in a torrent. */
export async function aria2ShowFiles(torrentFile: string): Promise<{ infohash: string; fileCount: number }> {
  const r = await runBounded('aria2c', ['--no-conf=true', '--show-files=true', torrentFile], 15);
  if (r.code !== 0) throw new Error(`aria2c --show-files exited ${r.code}: ${r.stdout}${r.stderr}`);
  const infohash = /^Info Hash: ([0-9a-f]{40})$/m.exec(r.stdout)?.[1];
  if (!infohash) throw new Error(`no Info Hash in aria2c output:\n${r.stdout}`);
  // The file table has one "  N|path" row per file.
  const fileCount = r.stdout.split('\n').filter((l) => /^\s*\d+\|/.test(l)).length;
  return { infohash, fileCount };
}

/**
 * Runs aria2c on a torrent whose data is already in `dir`: it hash-checks, and with the data whole it
 * is a seed at once and stops (`--seed-time=0`). No tracker, DHT, LPD or PEX, bound to loopback,
 * so there is nowhere to fetch from; with missing data it gives up after `--bt-stop-timeout`.
 */
export function aria2Verify(torrentFile: string, dir: string, listenPort: number) {
  return runBounded(
    'aria2c',
    [
      `--dir=${dir}`,
      '--check-integrity=true',
      '--bt-seed-unverified=false',
      '--seed-time=0',
      `--listen-port=${listenPort}`,
      '--interface=127.0.0.1',
      '--disable-ipv6=true',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-require-crypto=false',
      '--bt-stop-timeout=8',
      '--file-allocation=none',
      '--summary-interval=0',
      '--console-log-level=warn',
      '--no-conf=true',
      '--auto-save-interval=0',
      '--bt-save-metadata=false',
      '--download-result=full',
      torrentFile,
    ],
    25,
  );
}
