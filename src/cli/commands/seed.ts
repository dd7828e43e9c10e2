import { type PeerCommandOptions, parsePeerCommandOptions } from '../peer-command-options.js';
import { runTorrent } from '../run-torrent.js';

export type SeedCommandOptions = PeerCommandOptions;

/** `actorrent seed <torrent-file>`: verify the data at `-o DIR/<name>` (or trust resume data), then seed until interrupted. */
export async function runSeed(torrentFile: string, options: SeedCommandOptions): Promise<void> {
  await runTorrent({ ...parsePeerCommandOptions(options), mode: 'seed', torrentFile, keepSeeding: true });
}
