import { churnScenario, swarmScenario } from '../../sim/scenarios.js';
import { type SimResult, type SwarmObserver, runScenario } from '../../sim/swarm.js';
import { SimClock } from '../../sim/sim-clock.js';
import { CliError } from '../errors.js';
import { asCliError } from '../observers.js';
import { formatBytes, parseSize, UsageError } from '../units.js';

/**
 * `actorrent sim`: a whole swarm in this process on the simulator (simulated clock, network and
 * disks, the production actors unchanged): one seeder and N leechers, optionally with churn. Prints
 * when each peer completed (simulated seconds), the real time taken, and who uploaded what to whom.
 * The same options and seed give the same run (and the same `--trace`, byte for byte).
 */
export interface SimOptions {
  peers: string;
  size: string;
  seed: string;
  latency: string;
  churn?: boolean;
  trace?: string;
}

export async function runSim(options: SimOptions): Promise<void> {
  const leechers = wholeNumber(options.peers, '--peers', 1, 500);
  const size = parseSize(options.size, 'size');
  if (size < 1 || size > 2 * 1024 ** 3) throw new UsageError('--size must be between 1 byte and 2 GiB');
  const seed = wholeNumber(options.seed, '--seed', 0, 0xffffffff);
  const latencyMs = wholeNumber(options.latency, '--latency', 0, 60_000);
  const spec = options.churn ? churnScenario({ seed, leechers, size, latencyMs }) : swarmScenario({ seed, leechers, size, latencyMs });

  const clock = new SimClock();
  let observer: SwarmObserver | undefined;
  let closeTrace: (() => Promise<void>) | undefined;
  if (options.trace) {
    const [{ openTraceFile }, { createTraceRecorder }] = await Promise.all([import('../../trace/cli-observer.js'), import('../../trace/recorder.js')]);
    const writer = await openTraceFile(options.trace).catch((err: unknown) => {
      throw asCliError(err);
    });
    // Times in the trace are simulated milliseconds: the same seed writes the same file.
    const recorder = createTraceRecorder({ clock, write: writer.write, close: writer.close, meta: { command: 'sim', argv: simArgv(options, seed, leechers, size, latencyMs) } });
    observer = { sessionOptions: (label) => recorder.forSession(label), torrentAdded: (label, _session, handle) => recorder.attach(label, handle) };
    closeTrace = () => recorder.close();
  }

  const meta = spec.peers.length;
  say(
    `sim ${spec.name}: 1 seeder + ${meta - 1} leechers${options.churn ? ' joining and leaving at random' : ''}, ${formatBytes(size)} ` +
      `(${Math.ceil(size / spec.pieceLength)} pieces × ${formatBytes(spec.pieceLength)}), seed ${seed}, latency ${latencyMs} ms`,
  );
  let result: SimResult;
  try {
    result = await runScenario(spec, { clock, observer });
  } finally {
    await closeTrace?.();
  }
  report(result);
  const present = result.peers.filter((p) => p.role === 'leecher' && p.leftAt === undefined);
  const missing = present.filter((p) => p.completedAt === undefined || p.exact !== true);
  if (missing.length > 0) throw new CliError(`${missing.length} leecher${missing.length === 1 ? '' : 's'} did not complete with an exact copy: ${missing.map((p) => p.name).join(', ')}`);
}

function report(result: SimResult): void {
  const present = result.peers.filter((p) => p.role === 'leecher' && p.leftAt === undefined);
  const last = Math.max(0, ...present.map((p) => p.completedAt ?? 0));
  say(
    `${present.length} leecher${present.length === 1 ? '' : 's'} complete by ${seconds(last)} simulated ` +
      `(real ${(result.realMs / 1000).toFixed(2)} s, ${result.steps} steps); copies byte-exact: ${present.every((p) => p.exact) ? 'all' : 'NOT all'}`,
  );
  say(`  ${'peer'.padEnd(12)} ${'joined'.padStart(8)} ${'complete'.padStart(9)} ${'left'.padStart(8)} ${'uploaded'.padStart(11)} ${'downloaded'.padStart(11)}  top recipients`);
  for (const p of result.peers) {
    const top = Object.entries(p.uploadedTo)
      .filter(([, bytes]) => bytes > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 3)
      .map(([to, bytes]) => `${to} ${formatBytes(bytes)}`)
      .join(', ');
    say(
      `  ${p.name.padEnd(12)} ${seconds(p.joinedAt).padStart(8)} ${seconds(p.completedAt).padStart(9)} ${seconds(p.leftAt).padStart(8)} ` +
        `${formatBytes(p.uploaded).padStart(11)} ${formatBytes(p.downloaded).padStart(11)}  ${top}`,
    );
  }
  const seeder = result.peers.find((p) => p.role === 'seeder');
  const total = result.peers.reduce((sum, p) => sum + p.uploaded, 0);
  if (seeder && total > 0) say(`the seeder sent ${formatBytes(seeder.uploaded)} of ${formatBytes(total)} uploaded in all; the leechers sent each other the rest`);
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The options as given, normalised, for the trace header (not the process argv: the output file name would make traces differ). */
function simArgv(options: SimOptions, seed: number, leechers: number, size: number, latencyMs: number): string[] {
  return ['sim', '--peers', String(leechers), '--size', String(size), '--seed', String(seed), '--latency', String(latencyMs), ...(options.churn ? ['--churn'] : [])];
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
