// Tracker announces per second on one core, UDP then HTTP, and the tracker's peak RSS under that
// load: actorrent's tracker (`actorrent tracker`, its own process) against opentracker when it is
// installed. Each tracker is pinned to CPU 1 and our load generator (tracker-load.ts) to CPU 0, so
// "one core" holds and neither steals the other's. HTTP goes over keep-alive connections; opentracker
// closes each after one answer, so against it every announce pays a connection.
import { chmodSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { actorrentCommand } from './actorrent.js';
import { type BenchCase, type Ctx, actorrentName, notInstalled, opentrackerName, say } from './context.js';
import { tempDir } from './payload.js';
import { type Proc, sleep, start } from './procs.js';
import { type CaseResult, type Measure, makeCase, measure, repeat } from './results.js';
import { TORRENTS, infoHash } from './tracker-traffic.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./tracker-load.ts', import.meta.url));
const WARMUP_SECONDS = 0.5;
/** A generator using this share of its core or more may be what limits the rate. */
const GENERATOR_BOUND = 0.9;

interface Pinning {
  tracker?: number;
  generator?: number;
}

interface Tracker {
  proc: Proc;
  port: number;
}

async function startActorrent(seconds: number, pin: Pinning): Promise<Tracker> {
  const proc = start(actorrentCommand(['tracker', '--host', '127.0.0.1', '--port', '0', '--json']), { label: 'actorrent tracker', seconds, cpu: pin.tracker });
  return { proc, port: Number((await proc.waitFor('listening', 30_000)).port) };
}

/** Debian's opentracker is built with a whitelist: it is given the load's 1,000 infohashes. */
async function startOpentracker(seconds: number, pin: Pinning): Promise<Tracker> {
  const dir = tempDir('opentracker');
  const list = Array.from({ length: TORRENTS }, (_, i) => infoHash(i).toString('hex'));
  writeFileSync(path.join(dir, 'whitelist.txt'), `${list.join('\n')}\n`, { mode: 0o644 });
  chmodSync(dir, 0o755); // it reads the list after dropping root for nobody
  const port = await freePort();
  // As root it chroots to -d and drops to nobody: the whitelist is named relative to it.
  const args = ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist.txt'];
  const proc = start(['opentracker', ...args], { label: 'opentracker', seconds, cpu: pin.tracker, cwd: dir });
  for (let i = 0; i < 100 && !(await accepts(port)); i++) await sleep(50);
  return { proc, port };
}

/** A port free for both TCP and UDP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    udp.close();
    await new Promise((r) => server.close(r));
    if (free) return port;
  }
  throw new Error('no port free for both TCP and UDP');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function load(mode: 'udp' | 'http', port: number, seconds: number, pin: Pinning): Promise<{ rate: number; failed: number; cpu: number; connections: number }> {
  const generator = start([process.execPath, '--import', import.meta.resolve('tsx'), LOAD_SCRIPT, mode, String(port), String(seconds), String(WARMUP_SECONDS)], {
    label: `${mode} load`,
    seconds: seconds + WARMUP_SECONDS + 30,
    cpu: pin.generator,
  });
  try {
    const r = await generator.waitFor('result', (seconds + WARMUP_SECONDS + 25) * 1000);
    if (Number(r.done) === 0) throw new Error(`no ${mode} announce answered (${String(r.failed)} failed): ${String(r.firstFailure ?? 'no answer')}`);
    if (r.firstFailure) say(`    ${mode}: ${String(r.failed)} announces failed, the first: ${String(r.firstFailure)}`);
    return { rate: Number(r.done) / Number(r.seconds), failed: Number(r.failed), cpu: Number(r.cpu), connections: Number(r.connections) };
  } finally {
    await generator.stop();
  }
}

async function trackerOnce(name: string, begin: () => Promise<Tracker>, seconds: number, pin: Pinning, run: number): Promise<Record<string, number>> {
  const tracker = await begin();
  try {
    const udp = await load('udp', tracker.port, seconds, pin);
    const http = await load('http', tracker.port, seconds, pin);
    const rss = tracker.proc.peakRssMiB();
    say(
      `    ${name} run ${run + 1}: UDP ${Math.round(udp.rate)}/s (${udp.failed} lost, generator CPU ${pct(udp.cpu)}), ` +
        `HTTP ${Math.round(http.rate)}/s (${http.failed} failed, ${http.connections} connections, generator CPU ${pct(http.cpu)}), peak RSS ${rss.toFixed(0)} MiB`,
    );
    return { udp: udp.rate, http: http.rate, rss, udpCpu: udp.cpu, httpCpu: http.cpu, connections: http.connections };
  } finally {
    await tracker.proc.stop();
  }
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

async function measureTracker(name: string, begin: (s: number, p: Pinning) => Promise<Tracker>, ctx: Ctx, pin: Pinning) {
  const seconds = ctx.config.trackerSeconds;
  const { values, error } = await repeat(ctx.config.runs, (run) => trackerOnce(name, () => begin(seconds * 2 + 60, pin), seconds, pin, run));
  const m = (key: string): Measure => measure(name, values[key] ?? [], error);
  const cpu = (key: string) => m(key).value;
  // A generator that used (nearly) all its core measured its own limit: the tracker does at least that.
  const rate = (key: string, cpuKey: string): Measure => ({ ...m(key), ...((cpu(cpuKey) ?? 0) >= GENERATOR_BOUND ? { atLeast: true } : {}) });
  return { udp: rate('udp', 'udpCpu'), http: rate('http', 'httpCpu'), rss: m('rss'), udpCpu: cpu('udpCpu'), httpCpu: cpu('httpCpu'), connections: cpu('connections') };
}

export const trackerCase: BenchCase = {
  id: 'tracker',
  async run(ctx) {
    const twoCores = ctx.clients.taskset && os.cpus().length >= 2;
    const pin: Pinning = twoCores ? { tracker: 1, generator: 0 } : {};
    say(`  tracker: ${ctx.config.trackerSeconds} s of UDP then HTTP announces per tracker${twoCores ? ' (tracker on CPU 1, load generator on CPU 0)' : ''}, ${ctx.config.runs} run(s) each`);
    const ours = await measureTracker(actorrentName(ctx), startActorrent, ctx, pin);
    const ot = ctx.clients.opentracker ? await measureTracker(opentrackerName(ctx), startOpentracker, ctx, pin) : undefined;
    const otMissing = notInstalled(ctx, 'opentracker', 'opentracker');
    const limit = (cpu: number | null | undefined, who: string) =>
      cpu !== null && cpu !== undefined && cpu >= GENERATOR_BOUND ? [`the load generator used ${pct(cpu)} of its core against ${who}: that rate is the generator's limit, ${who} does at least that`] : [];
    const common = `${TORRENTS} torrents, 50,000 peers announcing in turn, numwant 50; 20 % seeders`;
    const rateCase = (protocol: 'udp' | 'http', bound: number, how: string[]) =>
      makeCase({
        id: `tracker-${protocol}`,
        title: `tracker, ${protocol.toUpperCase()} announces/s, one core`,
        unit: '/s',
        actorrent: ours[protocol],
        anchor: ot?.[protocol] ?? otMissing,
        target: { text: `≥ ${bound}× opentracker`, on: 'ratio', op: '>=', bound },
        notes: [common, ...how, ...limit(ours[`${protocol}Cpu`], 'actorrent'), ...limit(ot?.[`${protocol}Cpu`], 'opentracker')],
      });
    const cases: CaseResult[] = [
      rateCase('udp', 0.5, ['256 datagrams in flight over 4 sockets']),
      rateCase('http', 2, [
        '16 keep-alive connections, one request at a time each',
        `connections opened: actorrent ${ours.connections ?? '-'}, opentracker ${ot?.connections ?? '-'} (it closes after each answer)`,
      ]),
      makeCase({
        id: 'tracker-rss',
        title: 'tracker peak RSS under that load',
        unit: 'MiB',
        actorrent: ours.rss,
        anchor: ot?.rss ?? otMissing,
        target: { text: '≤ 64 MiB', on: 'value', op: '<=', bound: 64 },
      }),
    ];
    return cases;
  },
};
