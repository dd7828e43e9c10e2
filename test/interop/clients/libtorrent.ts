import { fileURLToPath } from 'node:url';
import { PYTHON } from '../../support/tools.js';
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
