// WebTorrent 1.9.7 (the npm devDependency) as an anchor: one node process per peer, running
// webtorrent-peer.cjs beside this file.
import { fileURLToPath } from 'node:url';
import { type Proc, start } from './procs.js';

const SCRIPT = fileURLToPath(new URL('./webtorrent-peer.cjs', import.meta.url));

export function startWebTorrent(o: { mode: 'seed' | 'leech' | 'check'; torrent: string; dir: string; seconds: number; peer?: string; label: string }): Proc {
  return start([process.execPath, SCRIPT, o.mode, o.torrent, o.dir, String(o.seconds), ...(o.peer ? [o.peer] : [])], {
    label: o.label,
    seconds: o.seconds + 10,
  });
}
