import { parseBind, parsePeer, parsePort } from '../network-options.js';
import { runTorrent } from '../run-torrent.js';

export interface SeedCommandOptions {
  output?: string;
  port: string;
  bind?: string;
  peer?: string[];
  json?: boolean;
}

/** `actorrent seed <torrent-file>`: verify the data at `-o DIR/<name>`, then seed until interrupted. */
export async function runSeed(torrentFile: string, options: SeedCommandOptions): Promise<void> {
  await runTorrent({
    mode: 'seed',
    torrentFile,
    outputDir: options.output ?? '.',
    port: parsePort(options.port),
    bind: options.bind === undefined ? undefined : parseBind(options.bind),
    peers: (options.peer ?? []).map(parsePeer),
    keepSeeding: true,
    json: options.json === true,
  });
}
