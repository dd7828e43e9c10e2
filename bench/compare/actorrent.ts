// How the bench runs actorrent: the built CLI (dist/cli/main.cjs, `npm run build`) when it exists,
// else src/cli/main.ts through tsx, which starts slower and holds more memory (the report says
// which one was used). BENCH_CLI=tsx uses the source even when dist exists.
import path from 'node:path';
import { ROOT } from './config.js';
import { DIST_CLI, cliMode } from './env-info.js';

const SOURCE_CLI = path.join(ROOT, 'src/cli/main.ts');

export function actorrentCommand(args: string[]): string[] {
  if (cliMode() === 'dist') return [process.execPath, DIST_CLI, ...args];
  return [process.execPath, '--import', import.meta.resolve('tsx'), SOURCE_CLI, ...args];
}

/** The options every bench peer gets: loopback, a free port, JSON events. */
/** LSD and the DHT off, as the bench's libtorrent has them: the peers are given, nothing to discover. */
export const PEER_FLAGS = ['--port', '0', '--bind', '127.0.0.1', '--json', '--no-lsd', '--no-dht'];
