// Our own tracker load generator, run as a child process (pinned to the other core than the
// tracker): after its setup, for WARMUP + SECONDS it keeps a fixed number of announces in flight
// and counts those answered in the last SECONDS. Every tracker gets the same traffic
// (tracker-traffic.ts): numwant 50, so once the swarms are full each answer carries peers, as on a
// busy tracker, and the state stops growing.
//
//   node --import tsx bench/compare/tracker-load.ts udp|http PORT SECONDS WARMUP
//
// Every packet and request is built before the clock starts, so the generator's own cost per
// announce is as small as node allows; when `cpu` nears 1 it is still what limits a fast tracker.
// Prints one JSON line:
// {"event":"result", done, failed, seconds, cpu (generator CPU / wall), connections, firstFailure}.
import { type Worker, meter } from './load-meter.js';
import { httpWorkers } from './load-http.js';
import { udpWorker } from './load-udp.js';

const UDP_SOCKETS = 4;
/** actorrent's tracker allows 32 connections per address (its HTTP guard). */
const HTTP_CONNECTIONS = 16;

const [mode, portText, secondsText, warmupText] = process.argv.slice(2);
const port = Number(portText);
const warmupMs = Number(warmupText) * 1000;
const measuredMs = Number(secondsText) * 1000;

const workers: Worker[] =
  mode === 'udp' ? await Promise.all(Array.from({ length: UDP_SOCKETS }, () => udpWorker(port))) : httpWorkers(port, HTTP_CONNECTIONS);
meter.start(warmupMs, measuredMs);
let cpuAtStart = process.cpuUsage();
setTimeout(() => {
  cpuAtStart = process.cpuUsage();
}, warmupMs);
const runs = Promise.all(workers.map((w) => w.run()));
// The generator's CPU over the measured window only, not the wind-down after it.
const cpu = await meter.untilOver().then(() => process.cpuUsage(cpuAtStart));
await runs;
const { done, failed, seconds, connections, firstFailure } = meter;
process.stdout.write(`${JSON.stringify({ event: 'result', done, failed, seconds, cpu: (cpu.user + cpu.system) / 1000 / (seconds * 1000), connections, firstFailure })}\n`);
process.exit(0);
