import { type BackgroundProcess, startBackground } from './background.js';
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

/**
 * aria2c as one peer of a transfer, finding the others through the torrent's (HTTP) tracker: aria2
 * has no option to dial a given peer, and it speaks UDP trackers only with its DHT on.
 * - `seed`: hash-checks the data in `dir` and seeds it whatever the share ratio, until stopped;
 * - `leech`: downloads into `dir` and exits 0 once every piece is verified (`--seed-time=0`).
 * Listens on `listenPort` at 127.0.0.1; DHT, LPD, PEX off; plaintext allowed (aria2 tries MSE first
 * when it dials, then falls back). Its debug log goes to `logFile`, for when a transfer fails.
 */
export function startAria2(options: {
  mode: 'seed' | 'leech';
  torrentFile: string;
  dir: string;
  listenPort: number;
  lifetimeSeconds: number;
  logFile: string;
  /** `--bt-require-crypto=true --bt-min-crypto-level=arc4`: MSE with RC4 only, both directions. */
  requireCrypto?: boolean;
}): BackgroundProcess {
  const { mode, torrentFile, dir, listenPort, lifetimeSeconds, logFile } = options;
  const modeArgs =
    mode === 'seed'
      ? ['--check-integrity=true', '--bt-seed-unverified=false', '--seed-ratio=0.0']
      : ['--seed-time=0', '--bt-stop-timeout=30'];
  return startBackground(
    'aria2c',
    [
      `--dir=${dir}`,
      ...modeArgs,
      `--listen-port=${listenPort}`,
      '--interface=127.0.0.1',
      '--disable-ipv6=true',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      ...(options.requireCrypto ? ['--bt-require-crypto=true', '--bt-min-crypto-level=arc4'] : ['--bt-require-crypto=false']),
      '--file-allocation=none',
      '--summary-interval=0',
      '--console-log-level=warn',
      `--log=${logFile}`,
      '--log-level=debug',
      '--no-conf=true',
      '--auto-save-interval=0',
      '--bt-save-metadata=false',
      '--download-result=full',
      torrentFile,
    ],
    lifetimeSeconds,
  );
}
