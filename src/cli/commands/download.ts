import { parseBind, parsePeer, parsePort } from '../network-options.js';
import { runTorrent } from '../run-torrent.js';

export interface DownloadCommandOptions {
  output?: string;
  port: string;
  bind?: string;
  peer?: string[];
  seed?: boolean;
  json?: boolean;
}

/** `actorrent download <torrent-file>`: fetch into `-o DIR/<name>`, exit 0 once every piece is verified. */
export async function runDownload(torrentFile: string, options: DownloadCommandOptions): Promise<void> {
  await runTorrent({
    mode: 'download',
    torrentFile,
    outputDir: options.output ?? '.',
    port: parsePort(options.port),
    bind: options.bind === undefined ? undefined : parseBind(options.bind),
    peers: (options.peer ?? []).map(parsePeer),
    keepSeeding: options.seed === true,
    json: options.json === true,
  });
}
