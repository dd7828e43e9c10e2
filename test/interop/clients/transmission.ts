import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../../support/until.js';
import { freePort, runBounded } from './bounded.js';

export interface TransmissionInfo {
  hash: string;
  percentDone: string;
  state: string;
  have: string;
}

export interface Transmission {
  /** The TCP port it accepts peers on, at 127.0.0.1. */
  peerPort: number;
  /** Runs transmission-remote against this daemon; throws unless it exits 0. */
  remote(args: string[]): Promise<string>;
  info(hash: string): Promise<TransmissionInfo>;
  /** How many files `-f` lists. */
  fileCount(hash: string): Promise<number>;
  /** Asks the daemon to exit, then kills it by PID if it has not. */
  stop(): Promise<void>;
}

/**
 * Starts transmission-daemon with its own config folder inside `workDir`: RPC and peer port on
 * 127.0.0.1, DHT, LPD, uTP, PEX and port forwarding off, added torrents left stopped (they are still
 * verified), so it never contacts anything.
 * With `netns`, the daemon and every transmission-remote run inside that network namespace (RPC on
 * its loopback) and peers are bound to `bindAddress`: Transmission dials non-loopback peers only.
 */
export async function startTransmission(
  workDir: string,
  lifetimeSeconds: number,
  /** `encryption`: Transmission's setting, 0 tolerated, 1 preferred (its default), 2 required. */
  options: { netns?: string; bindAddress?: string; encryption?: 0 | 1 | 2 } = {},
): Promise<Transmission> {
  const inNamespace = (command: string, args: string[]): [string, string[]] =>
    options.netns ? ['ip', ['netns', 'exec', options.netns, command, ...args]] : [command, args];
  const confDir = path.join(workDir, 'transmission-config');
  mkdirSync(confDir, { recursive: true });
  const rpcPort = await freePort();
  const peerPort = await freePort();
  const settings = {
    'bind-address-ipv4': options.bindAddress ?? '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': peerPort,
    'peer-port-random-on-start': false,
    'dht-enabled': false,
    'lpd-enabled': false,
    'utp-enabled': false,
    'pex-enabled': false,
    'port-forwarding-enabled': false,
    'blocklist-enabled': false,
    'rpc-enabled': true,
    'rpc-bind-address': '127.0.0.1',
    'rpc-port': rpcPort,
    'rpc-authentication-required': false,
    'rpc-whitelist-enabled': false,
    'rpc-host-whitelist-enabled': false,
    'speed-limit-down-enabled': false,
    'speed-limit-up-enabled': false,
    'download-queue-enabled': false,
    'seed-queue-enabled': false,
    'start-added-torrents': false,
    'incomplete-dir-enabled': false,
    'watch-dir-enabled': false,
    'download-dir': workDir,
    'message-level': 1,
    ...(options.encryption === undefined ? {} : { encryption: options.encryption }),
  };
  writeFileSync(path.join(confDir, 'settings.json'), JSON.stringify(settings, null, 2));
  // `timeout` bounds the daemon even if this process dies; a TERM sent to it is passed on.
  const [daemonCommand, daemonArgs] = inNamespace('transmission-daemon', ['-f', '-g', confDir]);
  const daemon = spawn('timeout', ['-k', '3', String(lifetimeSeconds), daemonCommand, ...daemonArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  daemon.stderr!.setEncoding('utf8').on('data', (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const endpoint = `127.0.0.1:${rpcPort}`;

  const remote = async (args: string[]) => {
    const r = await runBounded(...inNamespace('transmission-remote', [endpoint, ...args]), 10);
    if (r.code !== 0) throw new Error(`transmission-remote ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}\ndaemon log: ${log}`);
    return r.stdout;
  };
  const stop = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    await runBounded(...inNamespace('transmission-remote', [endpoint, '--exit']), 5).catch(() => undefined);
    if (await settles(exited, 5000)) return;
    killByPid(daemon, 'SIGTERM');
    if (await settles(exited, 5000)) return;
    killByPid(daemon, 'SIGKILL');
  };

  try {
    await waitForRpc(remote, daemon, () => log);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    peerPort,
    remote,
    stop,
    info: async (hash) => {
      const out = await remote(['-t', hash, '-i']);
      const field = (label: string) => new RegExp(`^\\s*${label}: (.*)$`, 'm').exec(out)?.[1]?.trim() ?? '';
      return { hash: field('Hash'), percentDone: field('Percent Done'), state: field('State'), have: field('Have') };
    },
    fileCount: async (hash) => {
      const out = await remote(['-t', hash, '-f']);
      const count = /\((\d+) files?\):/.exec(out)?.[1];
      if (count === undefined) throw new Error(`no file count in:\n${out}`);
      return Number(count);
    },
  };
}

async function waitForRpc(remote: (args: string[]) => Promise<string>, daemon: ChildProcess, log: () => string) {
  let lastError: unknown;
  await until(
    () =>
      remote(['-l']).then(
        () => true,
        (e: unknown) => {
          if (daemon.exitCode !== null) throw new Error(`transmission-daemon exited ${daemon.exitCode}: ${log()}`);
          lastError = e;
          return false;
        },
      ),
    { what: () => `transmission-daemon's RPC (last error: ${String(lastError)})`, intervalMs: 100 },
  );
}

function settles(p: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

function killByPid(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // Already gone.
  }
}
