import { createRequire } from 'node:module';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BackgroundProcess, startBackground } from './background.js';

const script = fileURLToPath(new URL('./webtorrent_peer.cjs', import.meta.url));

/**
 * WebTorrent is an npm devDependency, not a Debian package: under CI=true a missing one fails the
 * test (naming the package); elsewhere the test is skipped. Returns false when the test should stop.
 */
export function requireWebTorrent(t: TestContext): boolean {
  try {
    createRequire(script).resolve('webtorrent');
    return true;
  } catch {
    const message = 'webtorrent is not installed (npm devDependency webtorrent@1.9.7: run npm install)';
    if (process.env.CI === 'true') throw new Error(message);
    t.skip(message);
    return false;
  }
}

/**
 * WebTorrent 1.9 as one peer of a transfer, in its own node process (webtorrent_peer.cjs): a seeder
 * of the data in `dir`, or a leecher into `dir` that dials `connectTo` (`host:port`). Its events:
 * `listening` {port}, `seeding`, `wire` {address, type, peerId}, `complete` {seconds, downloaded},
 * `warning` / `error` {message}; a leecher exits 0 when complete.
 */
export function startWebTorrentPeer(options: {
  mode: 'seed' | 'leech';
  torrentFile: string;
  dir: string;
  lifetimeSeconds: number;
  connectTo?: string;
  /** WebTorrent's `secure: true` (MSE); default its own default, plaintext. */
  secure?: boolean;
}): BackgroundProcess {
  const { mode, torrentFile, dir, lifetimeSeconds, connectTo } = options;
  if (mode === 'leech' && !connectTo) throw new Error('a WebTorrent leecher needs connectTo');
  const args = [script, mode, torrentFile, dir, String(lifetimeSeconds), ...(connectTo ? [connectTo] : []), ...(options.secure ? ['--secure'] : [])];
  // The script ends itself after its lifetime; `timeout` is the guard if it does not.
  return startBackground(process.execPath, args, lifetimeSeconds + 5);
}
