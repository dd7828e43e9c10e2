import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTorrent } from '../../protocol/metainfo/index.js';
import { createTorrentFromPath } from '../../storage/create-torrent.js';
import { formatBytes, parseSize } from '../units.js';

/**
 * The local demo. The peer engine that will run a seeder, a tracker and leechers on loopback is not
 * built yet; until then the demo shows the part that exists: it makes a payload in a temporary
 * folder, creates its torrent, loads it back and prints what a peer would announce, then cleans up.
 */
export async function runDemo(options: { size: string }): Promise<void> {
  const size = parseSize(options.size, 'size');
  const dir = await mkdtemp(path.join(tmpdir(), 'actorrent-demo-'));
  try {
    const payload = path.join(dir, 'demo-payload.bin');
    await writeFile(payload, randomBytes(size));
    const started = performance.now();
    const { torrent } = await createTorrentFromPath(payload, { trackers: ['http://127.0.0.1:6969/announce'], createdBy: 'actorrent demo' });
    const ms = performance.now() - started;
    const meta = parseTorrent(torrent);
    process.stdout.write(
      [
        'actorrent demo (protocol core)',
        `  payload    ${formatBytes(meta.length)} of random bytes in ${dir}`,
        `  torrent    ${meta.name}: ${meta.pieceCount} pieces × ${formatBytes(meta.pieceLength)}, hashed in ${ms.toFixed(0)} ms`,
        `  infohash   ${meta.infoHashHex}`,
        '  The loopback swarm (tracker, seeder, leechers) arrives with the peer engine.',
        '',
      ].join('\n'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
