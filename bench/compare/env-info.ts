// What machine this is and which clients are here (with their versions), for the results file;
// the missing ones are named with the Debian package that brings them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './config.js';

export const PYTHON = '/usr/bin/python3';

export interface Machine {
  cpu: string;
  cores: number;
  memoryMiB: number;
  kernel: string;
  node: string;
}

export interface Clients {
  /** `dist`: the built CLI; `tsx`: src/cli/main.ts through tsx (slower start-up, more memory). */
  actorrent: { version: string; commit: string | null; cli: 'dist' | 'tsx'; distStale: boolean };
  libtorrent: string | null;
  webtorrent: string | null;
  openssl: string | null;
  opentracker: string | null;
  hyperfine: string | null;
  taskset: boolean;
}

export interface Missing {
  client: string;
  install: string;
  effect: string;
}

export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** stdout of a short probe, or null if it failed. */
function probe(command: string, args: string[]): string | null {
  const r = spawnSync('timeout', ['20', command, ...args], { encoding: 'utf8', cwd: ROOT });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const DIST_CLI = path.join(ROOT, 'dist/cli/main.cjs');

/** The built CLI when there is one, unless BENCH_CLI=tsx asks for the source through tsx. */
export function cliMode(): 'dist' | 'tsx' {
  return existsSync(DIST_CLI) && process.env.BENCH_CLI !== 'tsx' ? 'dist' : 'tsx';
}

/**
 * BENCH_WITHOUT=libtorrent,webtorrent,opentracker,hyperfine leaves those out as if they were not
 * installed: to run without a slow anchor, or to see what the bench does on a machine without it.
 */
export function clients(): Clients {
  const without = new Set((process.env.BENCH_WITHOUT ?? '').split(',').map((s) => s.trim().toLowerCase()));
  const found = detect();
  for (const name of ['libtorrent', 'webtorrent', 'openssl', 'opentracker', 'hyperfine'] as const) if (without.has(name)) found[name] = null;
  return found;
}

function detect(): Clients {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const webtorrentPkg = path.join(ROOT, 'node_modules/webtorrent/package.json');
  return {
    actorrent: {
      version: pkg.version,
      commit: probe('git', ['rev-parse', '--short', 'HEAD']),
      cli: cliMode(),
      distStale: existsSync(DIST_CLI) && newestMtime(path.join(ROOT, 'src')) > statSync(DIST_CLI).mtimeMs,
    },
    libtorrent: existsSync(PYTHON) ? probe(PYTHON, ['-c', 'import libtorrent; print(libtorrent.__version__)']) : null,
    webtorrent: existsSync(webtorrentPkg) ? (JSON.parse(readFileSync(webtorrentPkg, 'utf8')) as { version: string }).version : null,
    openssl: probe('openssl', ['version'])?.split(' ')[1] ?? null,
    opentracker: probe('sh', ['-c', 'command -v opentracker >/dev/null && dpkg-query -W -f "\\${Version}" opentracker']),
    hyperfine: probe('hyperfine', ['--version'])?.split(' ')[1] ?? null,
    taskset: probe('taskset', ['-V']) !== null,
  };
}

export function missing(c: Clients): Missing[] {
  const out: Missing[] = [];
  if (!c.libtorrent) out.push({ client: 'libtorrent', install: 'apt-get install -y python3-libtorrent', effect: 'no libtorrent anchor (transfer, swarm, check)' });
  if (!c.opentracker) out.push({ client: 'opentracker', install: 'apt-get install -y opentracker', effect: 'no tracker anchor' });
  if (!c.openssl) out.push({ client: 'openssl', install: 'apt-get install -y openssl', effect: 'no check anchor' });
  if (!c.webtorrent) out.push({ client: 'WebTorrent 1.9', install: 'npm install (devDependency webtorrent 1.9.7)', effect: 'no WebTorrent anchor' });
  if (!c.hyperfine) out.push({ client: 'hyperfine', install: 'apt-get install -y hyperfine', effect: 'start-up timed with spawnSync instead' });
  if (!c.taskset) out.push({ client: 'taskset', install: 'apt-get install -y util-linux', effect: 'trackers not pinned to one core' });
  return out;
}

/** The newest modification time of any file under `dir`: is dist older than the source? */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}
