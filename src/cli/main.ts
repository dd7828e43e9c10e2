#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { tuneV8 } from './v8-tuning.js';

/**
 * The `actorrent` command. Each subcommand's module is imported only when that command runs, so
 * `actorrent info` does not load what `download` needs.
 */
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command('actorrent')
  .description('A BitTorrent peer and tracker built as an actor system')
  .version(version, '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  // Before any command's action imports its modules.
  .hook('preAction', tuneV8);

program
  .command('create')
  .description('make a .torrent of a file or a folder')
  .argument('<path>', 'file or folder to share')
  .option('-o, --output <file>', 'where to write the torrent (default: <name>.torrent)')
  .option('-a, --announce <url>', 'tracker URL; repeat for backup trackers (one tier each)', collect, [])
  .option('--piece-length <bytes>', 'piece length, a power of two from 16 KiB (e.g. 256k, 1MiB); default: chosen by size')
  .option('--private', 'set the private flag (BEP 27): peers only from the trackers')
  .option('--comment <text>', 'a comment stored in the torrent')
  .option('-w, --web-seed <url>', 'web seed URL (BEP 19); repeatable', collect, [])
  .option('--no-date', 'leave out the creation date (reproducible output)')
  .option('-f, --force', 'overwrite the output file if it exists')
  .action(async (target: string, options) => (await import('./commands/create.js')).runCreate(target, options));

program
  .command('info')
  .description('show what a .torrent file or a magnet link holds')
  .argument('<torrent>', '.torrent file or magnet: link')
  .option('--json', 'print one JSON object')
  .action(async (source: string, options) => (await import('./commands/info.js')).runInfo(source, options));

program
  .command('tracker')
  .description('run a BitTorrent tracker, HTTP (BEP 3/7/23/48) and UDP (BEP 15) on one port, until interrupted')
  .addOption(new Option('--host <address>', 'IP address to listen on (0.0.0.0 or :: for every address)').default('127.0.0.1'))
  .addOption(new Option('--port <n>', 'port for both HTTP and UDP; 0 picks a free one').default('6969'))
  .addOption(new Option('--http-only', 'serve HTTP only').conflicts('udpOnly'))
  .option('--udp-only', 'serve UDP only')
  .option('--interval <seconds>', 'announce interval told to clients; peers expire after twice this (default 1800)')
  .option('--allow <file>', 'track only the infohashes in this file (40 hex digits a line, # comments)')
  .option('--trust-ip', 'believe the address a client claims (UDP ip field, HTTP ip parameter): only behind a proxy you run')
  .option('--trace <file>', 'record every announce and scrape, and the tracker\'s state changes, as JSON lines')
  .option('--inspect', 'show the tracker actor live in the Stately inspector (prints the URL; needs a browser online)')
  .option('--ui [port]', 'serve a live dashboard of the tracker actor on http://127.0.0.1:PORT (offline; default: a free port)')
  .option('--json', 'write one JSON event per line on stdout')
  .action(async (options) => (await import('./commands/tracker.js')).runTracker(options));

program
  .command('replay')
  .description('check a --trace file\'s protocol invariants, then replay its inbound messages against actorrent and check what it sends')
  .argument('<trace-file>', 'a trace written by --trace')
  .option('--check-only', 'only check the recorded messages; do not run actorrent')
  .option('--node <label>', 'which session of a multi-session trace to replay (default: the first)')
  .option('--save-trace <file>', 'write the replayed session\'s own trace here')
  .option('--json', 'print the summary as one JSON object')
  .action(async (file: string, options) => (await import('./commands/replay.js')).runReplay(file, options));

program
  .command('demo')
  .description('run a local swarm on loopback: one seeder, N leechers, verified copies (no internet needed)')
  .addOption(new Option('--size <bytes>', 'payload size').default('16MiB'))
  .addOption(new Option('--leechers <n>', 'how many leechers').default('3'))
  .option('--trace <file>', 'record every peer of the swarm as JSON lines (see download --trace)')
  .option('--inspect', 'show the whole swarm live in the Stately inspector (prints the URL; needs a browser online)')
  .option('--ui [port]', 'serve a live dashboard of the whole swarm on http://127.0.0.1:PORT (offline; default: a free port)')
  .action(async (options) => (await import('./commands/demo.js')).runDemo(options));

program
  .command('daemon')
  .description('run many torrents in one process, driven by any Transmission remote (RPC), a web UI and /metrics, until interrupted')
  .option('--data <dir>', 'state folder: torrents, settings, resume data (default: $XDG_DATA_HOME/actorrent/daemon)')
  .option('--download-dir <dir>', 'default download folder, and the root every folder given over RPC must be inside (default: ~/Downloads)')
  .addOption(new Option('--port <n>', 'port to listen on for peers; 0 picks a free one').default('51413'))
  .option('--bind <address>', 'listen for peers on, and dial from, this local IP address (default: all)')
  .addOption(new Option('--rpc-port <n>', 'port of the RPC, the web UI and /metrics').default('9091'))
  .addOption(new Option('--rpc-bind <address>', 'address of the RPC and the web UI (0.0.0.0 to serve other machines: use --rpc-auth)').default('127.0.0.1'))
  .option('--rpc-auth <user:password>', 'require HTTP Basic authentication')
  .option('--rpc-host <name>', 'a host name the RPC answers to besides IP addresses and localhost (DNS rebinding protection); repeatable', collect)
  .option('--watch <dir>', 'add every .torrent dropped into this folder')
  .option('--no-dht', 'no Mainline DHT (BEP 5; on by default, never for private torrents)')
  .option('--dht-bootstrap <host:port>', 'bootstrap the DHT from this node (default: the well-known routers, none from a loopback --bind); repeatable', collect)
  .action(async (options) => (await import('./commands/daemon.js')).runDaemon(options));

program
  .command('dht')
  .description('run a standalone Mainline DHT node (BEP 5), e.g. the bootstrap node of a private network, printing its table and traffic, until interrupted')
  .addOption(new Option('--port <n>', 'UDP port; 0 picks a free one').default('6881'))
  .option('--bind <address>', 'the local IP address to listen on (default: every IPv4 address)')
  .option('--bootstrap <host:port>', 'a node to start from; repeatable (default: the well-known routers, not from a loopback --bind)', collect)
  .option('--state <file>', 'keep the node id and routing table in this file between runs')
  .option('--interval <seconds>', 'print the table and traffic this often (default 5)')
  .option('--json', 'write one JSON event per line on stdout')
  .action(async (options) => (await import('./commands/dht.js')).runDht(options));

program
  .command('sim')
  .description('simulate a swarm in this process (simulated clock, network and disks; the real actors): one seeder, N leechers')
  .addOption(new Option('--peers <n>', 'how many leechers').default('30'))
  .addOption(new Option('--size <bytes>', 'payload size (e.g. 64MiB)').default('64MiB'))
  .addOption(new Option('--seed <n>', 'seed of the payload, peer ids and every random choice: the same seed, the same run').default('1'))
  .addOption(new Option('--latency <ms>', 'one-way latency of every link').default('20'))
  .option('--churn', 'leechers join at random times in the first 30 s, a third of them leave early')
  .option('--trace <file>', 'record every peer of the simulation as JSON lines, timed in simulated ms')
  .action(async (options) => (await import('./commands/sim.js')).runSim(options));

withPeerOptions(
  program
    .command('download')
    .description('download a torrent into <dir>/<name>; exits once every piece is verified')
    .argument('<torrent>', '.torrent file, or a magnet link (its metadata is fetched from peers first)')
    .option('-o, --output <dir>', 'folder to download into (default: the current folder)')
    .option('--seed', 'keep seeding once complete, until interrupted')
    .option('--select <glob>', 'fetch only the files matching this glob (path inside the torrent, e.g. "docs/*.pdf"); repeatable', collect),
).action(async (file: string, options) => (await import('./commands/download.js')).runDownload(file, options));

withPeerOptions(
  program
    .command('seed')
    .description('verify the data at <dir>/<name> and seed it until interrupted')
    .argument('<torrent>', '.torrent file, or a magnet link (its metadata is fetched from peers first)')
    .option('-o, --output <dir>', 'folder holding the data (default: the current folder)'),
).action(async (file: string, options) => {
  // A seed always checks its data; a download mostly starts with none, and threads it does not use
  // would cost it 18 MiB: its threads start at the first piece it hashes on them.
  (await import('./hashing-threads.js')).startHashingThreadsEarly();
  await (await import('./commands/seed.js')).runSeed(file, options);
});

/** The options of every command that runs a peer. */
function withPeerOptions(command: Command): Command {
  return command
    .addOption(new Option('--port <n>', 'port to listen on for peers; 0 picks a free one').default('6881', '6881'))
    .option('--bind <address>', 'listen on and dial from this local IP address (default: all)')
    .option('--peer <host:port>', 'connect to this peer; repeatable; IPv6 as [::1]:6881', collect)
    .option('--tracker <url>', 'an extra tracker, after the torrent\'s own (a tier of its own); repeatable', collect)
    .option('--save-torrent <file>', 'a magnet link: write its metadata as a .torrent file once fetched')
    .option('--max-peers <n>', 'at most this many peer connections (default 50)')
    .option('--upload-limit <rate>', 'upload at most this many bytes/s (e.g. 512k, 2MiB; 0 = unlimited)')
    .option('--download-limit <rate>', 'download at most this many bytes/s (e.g. 1M; 0 = unlimited)')
    .option('--lsd', 'find peers on the local network by multicast (BEP 14; the default, never for private torrents)')
    .option('--no-lsd', 'no local service discovery')
    .option('--no-pex', 'no peer exchange (BEP 11; on by default, never for private torrents)')
    .option('--dht', 'find peers through the Mainline DHT (BEP 5; the default, never for private torrents)')
    .option('--no-dht', 'no DHT')
    .option('--dht-port <n>', 'UDP port of the DHT node (default: the peer port\'s number; 0 picks one)')
    .option('--dht-bootstrap <host:port>', 'a DHT node to start from; repeatable (default: the well-known routers, not from a loopback --bind)', collect)
    .option('--encryption <mode>', 'protocol encryption (MSE): prefer (dial encrypted, fall back to plaintext), require, or disable (default prefer)')
    .option('--transport <order>', 'peer transports in dial order: utp,tcp (uTP first, TCP after a timeout), tcp,utp, tcp or utp; incoming on each listed (default tcp)')
    .addOption(new Option('--json', 'write one JSON event per line on stdout').conflicts(['quiet', 'verbose']))
    .addOption(new Option('-q, --quiet', 'print only problems').conflicts('verbose'))
    .option('-v, --verbose', 'also peers, tracker answers; a stack trace with errors')
    .option('--trace <file>', 'record wire messages, verifications, announces and state changes as JSON lines')
    .option('--inspect', 'show the actors live in the Stately inspector (prints the URL; needs a browser online)')
    .option('--ui [port]', 'serve a live dashboard on http://127.0.0.1:PORT (offline; default: a free port)');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

// `--verbose` anywhere before `--`: stack traces with errors.
const verbose = process.argv.slice(2, process.argv.includes('--') ? process.argv.indexOf('--') : undefined).some((a) => a === '--verbose' || a === '-v');

program.parseAsync(process.argv).catch(async (err: unknown) => {
  process.exitCode = await exitCodeFor(err);
});

/** 0 for help/version, 2 for a mistake in the invocation, 1 for a failure while running, 70 for a bug. */
async function exitCodeFor(err: unknown): Promise<number> {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help/version text).
    return err.exitCode === 0 ? 0 : 2;
  }
  // Imported here, not above: the subcommands throw these classes from their own modules, which the
  // bundled entry point (scripts/bundle-cli.mjs) must share, not copy; and `--help` never needs them.
  const [{ UsageError }, { CliError }, { ProtocolError }] = await Promise.all([import('./units.js'), import('./errors.js'), import('../protocol/errors.js')]);
  if (err instanceof UsageError) {
    process.stderr.write(`actorrent: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ProtocolError || err instanceof CliError || isFileError(err)) {
    process.stderr.write(`actorrent: ${describe(err)}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
  process.stderr.write(`actorrent: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}

function isFileError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

function describe(err: Error): string {
  if (!isFileError(err)) return err.message;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EISDIR: 'is a folder, not a file',
    ENOTDIR: 'not a folder',
    EEXIST: 'already exists (use --force to overwrite)',
    ENOSPC: 'no space left on the device',
  };
  const reason = reasons[err.code!] ?? err.message;
  return err.path ? `${err.path}: ${reason}` : reason;
}
