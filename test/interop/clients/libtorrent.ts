import { fileURLToPath } from 'node:url';
import { PYTHON } from '../../support/tools.js';
import { type BackgroundProcess, startBackground } from './background.js';
import { runBounded } from './bounded.js';

const script = fileURLToPath(new URL('./libtorrent_check.py', import.meta.url));

/** What libtorrent_check.py prints. */
export interface LibtorrentCheck {
  error: string | null;
  alerts: string[];
  infohash: string;
  name: string;
  num_files: number;
  num_pieces: number;
  total_size: number;
  checked: boolean;
  is_seeding: boolean;
  progress: number;
  pieces_have: number;
  state: string;
}

/** Has libtorrent hash-check the data in `savePath` against `torrentFile`. */
export async function libtorrentCheck(torrentFile: string, savePath: string, seconds = 20): Promise<LibtorrentCheck> {
  const r = await runBounded(PYTHON, [script, torrentFile, savePath, String(seconds)], seconds + 5);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as LibtorrentCheck;
  } catch {
    throw new Error(`libtorrent_check.py exited ${r.code} without a report: ${r.stdout}${r.stderr}`);
  }
}

const peerScript = fileURLToPath(new URL('./libtorrent_peer.py', import.meta.url));

/**
 * libtorrent as one peer of a transfer (libtorrent_peer.py): a seeder of the data in `savePath`, or a
 * leecher into `savePath` that dials `connectTo` (`host:port`). Its events: `listening` {port},
 * `seeding`, `peer` {ip, client, pid, outgoing, supports_extensions, encryption}, `alert` {type, message},
 * `progress`, `complete` {seconds}; a leecher exits 0 when complete.
 */
export function startLibtorrentPeer(options: {
  mode: 'seed' | 'leech';
  torrentFile: string;
  savePath: string;
  lifetimeSeconds: number;
  connectTo?: string;
  /** out_enc_policy and in_enc_policy (libtorrent's default: enabled, which dials with MSE first). */
  encryption?: 'enabled' | 'forced' | 'disabled';
  /** allowed_enc_level (libtorrent's default: both). */
  encLevel?: 'rc4' | 'plaintext' | 'both';
  /** Print `first-block` {seconds}: from libtorrent's first dial to its first block. */
  timing?: boolean;
  /** `host:port` of a DHT node: libtorrent's DHT on, bootstrapped from it (a leecher then needs no connectTo). */
  dhtBootstrap?: string;
  /** uTP only, in and out (libtorrent's TCP off). */
  utpOnly?: boolean;
}): BackgroundProcess {
  const { mode, torrentFile, savePath, lifetimeSeconds, connectTo } = options;
  if (mode === 'leech' && !connectTo && !options.dhtBootstrap) throw new Error('a libtorrent leecher needs connectTo or dhtBootstrap');
  const flags = [
    ...(options.encryption ? [`--encryption=${options.encryption}`] : []),
    ...(options.encLevel ? [`--enc-level=${options.encLevel}`] : []),
    ...(options.timing ? ['--timing'] : []),
    ...(options.dhtBootstrap ? [`--dht=${options.dhtBootstrap}`] : []),
    ...(options.utpOnly ? ['--utp-only'] : []),
  ];
  const args = [peerScript, mode, torrentFile, savePath, String(lifetimeSeconds), ...(connectTo ? [connectTo] : []), ...flags];
  // The script ends itself after its lifetime; `timeout` is the guard if it does not.
  return startBackground(PYTHON, args, lifetimeSeconds + 5);
}
