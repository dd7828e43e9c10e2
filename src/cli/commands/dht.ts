import { systemClock } from '../../env/clock.js';
import { MainlineDht, type DhtStats } from '../../mainline-dht.js';
import { messageOf } from '../../util/message-of.js';
import { bootstrapNodes, loadDhtState, parseBootstrap, saveDhtState } from '../dht-options.js';
import { CliError } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { parseBind, parsePort } from '../network-options.js';
import { UsageError } from '../units.js';

/** `actorrent dht`: options as commander hands them over. */
export interface DhtCommandOptions {
  port: string;
  bind?: string;
  bootstrap?: string[];
  state?: string;
  interval?: string;
  json?: boolean;
}

/**
 * A standalone DHT node: answers every query, keeps the announces it is given, and prints its
 * routing table size and traffic every few seconds (`--json`: one `stats` object a line) until
 * interrupted; then saves its table (`--state`) and prints `stopped`.
 */
export async function runDht(options: DhtCommandOptions): Promise<void> {
  const port = parsePort(options.port);
  const bind = options.bind === undefined ? undefined : parseBind(options.bind);
  const intervalMs = parseInterval(options.interval);
  const bootstrap = bootstrapNodes((options.bootstrap ?? []).map(parseBootstrap), bind);
  const saved = options.state ? await loadDhtState(options.state) : {};
  const write = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
  const print = (line: string) => process.stdout.write(`${line}\n`);

  const dht = new MainlineDht({ port, host: bind, clock: systemClock, rng: Math.random, bootstrap, ...saved });
  let listening: number;
  try {
    listening = await dht.opened();
  } catch (err) {
    await dht.close();
    throw new CliError(`cannot listen on UDP port ${port}: ${messageOf(err)}`);
  }
  if (options.json) write({ event: 'listening', port: listening, nodeId: dht.nodeId.toString('hex'), bootstrap: bootstrap.map((b) => `${b.host}:${b.port}`) });
  else print(`DHT node ${dht.nodeId.toString('hex')} listening on UDP ${bind ?? '0.0.0.0'}:${listening}${bootstrap.length ? `, bootstrapping from ${bootstrap.map((b) => `${b.host}:${b.port}`).join(', ')}` : ''}`);
  dht.events$.subscribe((e) => {
    if (e.type === 'warning') process.stderr.write(`actorrent: ${e.message}\n`);
    else if (e.type === 'ready' && options.json) write({ event: 'ready', nodes: e.nodes });
  });

  const report = () => {
    const stats = dht.stats();
    if (options.json) write({ event: 'stats', ...stats });
    else print(describe(stats));
  };
  const ticker = setInterval(report, intervalMs);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(ticker);
      if (options.state) await saveDhtState(options.state, dht).catch((err: unknown) => process.stderr.write(`actorrent: cannot save ${options.state}: ${messageOf(err)}\n`));
      const stats = dht.stats();
      await dht.close();
      if (options.json) write({ event: 'stopped', ...stats });
      else print(`stopped: ${describe(stats)}`);
    })());
  const interrupts = onInterrupt(stop);
  try {
    // Runs until a signal: the handler exits the process once the node has stopped.
    await new Promise<never>(() => undefined);
  } finally {
    interrupts.remove();
  }
}

function describe(s: DhtStats): string {
  const c = s.counts;
  return (
    `${s.state}: ${s.nodes} nodes in ${s.buckets} buckets (${s.goodNodes} good); ${s.peersStored} peers of ${s.torrentsStored} torrents stored; ` +
    `sent ${c.sent}, received ${c.received} (${c.queriesIn} queries, ${c.repliesIn} replies, ${c.errorsIn} errors), ` +
    `${c.timeouts} timed out, dropped ${c.rateLimited + c.malformed + c.unexpected}`
  );
}

function parseInterval(text: string | undefined): number {
  if (text === undefined) return 5000;
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || Number(text) < 0.1 || Number(text) > 3600) {
    throw new UsageError(`invalid --interval ${JSON.stringify(text)}: use seconds from 0.1 to 3600`);
  }
  return Number(text) * 1000;
}
