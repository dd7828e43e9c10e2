import { type PeerCommandOptions, parsePeerCommandOptions } from '../peer-command-options.js';
import { runTorrent } from '../run-torrent.js';

export interface DownloadCommandOptions extends PeerCommandOptions {
  seed?: boolean;
  select?: string[];
}

/** `actorrent download <torrent-file>`: fetch into `-o DIR/<name>`, exit 0 once every (selected) piece is verified. */
export async function runDownload(torrentFile: string, options: DownloadCommandOptions): Promise<void> {
  await runTorrent({
    ...parsePeerCommandOptions(options),
    mode: 'download',
    torrentFile,
    keepSeeding: options.seed === true,
    select: options.select,
  });
}
