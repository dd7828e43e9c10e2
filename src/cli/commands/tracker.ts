import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { MAX_INTERVAL } from '../../protocol/tracker/index.js';
import { AllowListError, parseAllowList } from '../../tracker/allow-list.js';
import type { HttpGuardStats } from '../../env/http-guard.js';
import { DEFAULT_INTERVAL, type TrackerConfig } from '../../tracker/tracker-config.js';
import type { TrackerStats } from '../../tracker/tracker-core.js';
import { type RunningTracker, startTracker } from '../../tracker-server.js';
import { CliError } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { parsePort } from '../network-options.js';
import { startObservers } from '../observers.js';
import { parseObserveOptions } from '../peer-command-options.js';
import { UsageError } from '../units.js';
import { messageOf } from '../../util/message-of.js';

/** `actorrent tracker`: options as commander hands them over. */
export interface TrackerCommandOptions {
  host: string;
  port: string;
  httpOnly?: boolean;
  udpOnly?: boolean;
  json?: boolean;
  /** File of allowed infohashes, one per line. */
  allow?: string;
  trustIp?: boolean;
  /** Announce interval in seconds. */
  interval?: string;
  inspect?: boolean;
  ui?: string | boolean;
  /** `--trace FILE`: announces, scrapes and the actor's state changes as JSON lines. */
  trace?: string;
}

export interface TrackerSettings {
  host: string;
  port: number;
  http: boolean;
  udp: boolean;
  json: boolean;
  config: Partial<TrackerConfig>;
}

/** Checks the options and reads the allow-list; a mistake is a UsageError, an unreadable list a CliError. */
export async function trackerSettings(options: TrackerCommandOptions): Promise<TrackerSettings> {
  if (options.httpOnly && options.udpOnly) throw new UsageError('--http-only and --udp-only exclude each other: leave both out to serve both');
  const config: Partial<TrackerConfig> = { trustIp: options.trustIp === true };
  if (options.interval !== undefined) config.interval = parseInterval(options.interval);
  if (options.allow !== undefined) config.allowList = await readAllowList(options.allow);
  return {
    host: parseHost(options.host),
    port: parsePort(options.port),
    http: !options.udpOnly,
    udp: !options.httpOnly,
    json: options.json === true,
    config,
  };
}

/**
 * Runs the tracker until SIGINT or SIGTERM, then closes its sockets and exits 130 or 143. Rejects
 * (before serving) with a UsageError or CliError, e.g. "port 6969 is already in use on 127.0.0.1 (UDP)".
 */
export async function runTracker(options: TrackerCommandOptions): Promise<void> {
  const settings = await trackerSettings(options);
  const report = settings.json ? jsonReport : textReport;
  const observers = await startObservers(parseObserveOptions(options), { command: 'tracker', argv: process.argv.slice(2) });
  let tracker: RunningTracker;
  try {
    const { inspect } = observers.sessionOptions('tracker');
    tracker = await startTracker({ host: settings.host, port: settings.port, http: settings.http, udp: settings.udp, config: settings.config, inspect, dedicatedProcess: true });
  } catch (err) {
    await observers.close();
    throw new CliError(messageOf(err));
  }
  onInterrupt(async (signal) => {
    await tracker.stop();
    await observers.close();
    report.stopped(signal, tracker.stats(), tracker.httpConnections());
  });
  tracker.on('swept', (e) => report.swept(e.expiredPeers, e.stats, tracker.httpConnections()));
  report.listening(tracker, settings);
  // Serves until a signal ends the process.
  await new Promise<never>(() => undefined);
}

function parseHost(text: string): string {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(bare) === 0) throw new UsageError(`invalid --host ${JSON.stringify(text)}: use an IP address such as 127.0.0.1, ::1 or 0.0.0.0`);
  return bare;
}

function parseInterval(text: string): number {
  const n = /^\s*\d{1,10}\s*$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_INTERVAL)) throw new UsageError(`invalid --interval ${JSON.stringify(text)}: use a number of seconds, e.g. ${DEFAULT_INTERVAL}`);
  return n;
}

async function readAllowList(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8');
  try {
    return parseAllowList(text);
  } catch (err) {
    if (err instanceof AllowListError) throw new CliError(`--allow ${file}: ${err.message}`);
    throw err;
  }
}

interface TrackerReport {
  listening(tracker: RunningTracker, settings: TrackerSettings): void;
  /** `http`: the HTTP connection counters (none with --udp-only). */
  swept(expiredPeers: number, stats: TrackerStats, http: HttpGuardStats | undefined): void;
  stopped(signal: string, stats: TrackerStats, http: HttpGuardStats | undefined): void;
}

const write = (line: string) => process.stdout.write(`${line}\n`);
const statsUrl = (tracker: RunningTracker) => `http://${tracker.hostPort}/stats`;

const textReport: TrackerReport = {
  listening(tracker, settings) {
    write(`actorrent tracker on ${tracker.address} port ${tracker.port}`);
    if (tracker.announceUrl) write(`  announce: ${tracker.announceUrl}`);
    if (tracker.udpUrl) write(`  announce: ${tracker.udpUrl}`);
    if (tracker.http) write(`  stats:    ${statsUrl(tracker)}`);
    const allowed = settings.config.allowList;
    if (allowed) write(`  tracking only the ${allowed.size} infohashes of the allow-list`);
    if (settings.config.trustIp) write('  trusting the ip field of announces (use only behind a proxy you run)');
  },
  swept() {
    // Quiet in text mode: GET /stats tells the numbers.
  },
  stopped(signal, stats, http) {
    const announces = stats.requests.http.announce + stats.requests.udp.announce;
    const dropped = http && http.evicted + http.refused + http.timedOut > 0 ? `; HTTP connections: ${http.evicted} evicted, ${http.refused} refused, ${http.timedOut} timed out` : '';
    write(`tracker stopped (${signal}): ${stats.torrents} torrents, ${stats.seeders} seeders, ${stats.leechers} leechers; ${announces} announces served${dropped}`);
  },
};

const json = (record: Record<string, unknown>) => write(JSON.stringify(record));

const jsonReport: TrackerReport = {
  listening(tracker, settings) {
    json({
      event: 'listening',
      host: tracker.address,
      port: tracker.port,
      http: tracker.announceUrl ?? null,
      udp: tracker.udpUrl ?? null,
      stats: tracker.http ? statsUrl(tracker) : null,
      interval: settings.config.interval ?? DEFAULT_INTERVAL,
      allowList: settings.config.allowList?.size ?? null,
      trustIp: settings.config.trustIp === true,
    });
  },
  swept(expiredPeers, stats, http) {
    json({ event: 'stats', ...stats, sweptPeers: expiredPeers, http: http ?? null });
  },
  stopped(signal, stats, http) {
    json({ event: 'stopped', signal, ...stats, http: http ?? null });
  },
};
