// Tracker load test on loopback: a fixed number of announces (UDP, then HTTP) from distinct peers
// over 1,000 torrents, with a bounded number in flight, against a tracker in its own process (so
// client and server do not share one event loop). Prints announces per second for each.
//
//   node --import tsx bench/tracker.bench.ts [udpCount=20000] [httpCount=5000]
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  buildAnnounceUrl,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  parseAnnounceResponse,
} from '../src/protocol/tracker/index.js';
import { startTracker } from '../src/tracker-server.js';

const UDP_IN_FLIGHT = 64;
const HTTP_IN_FLIGHT = 32;
const TORRENTS = 1000;
/** A datagram not answered in this long counts as lost (the load test does not retransmit). */
const UDP_REPLY_TIMEOUT_MS = 2000;

async function runBench(udpCount: number, httpCount: number): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  // Bounded twice: coreutils `timeout`, and the kill in `finally`.
  const server = spawn('timeout', ['-k', '2', '120', process.execPath, '--import', 'tsx', self, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.setEncoding('utf8').once('data', (line: string) => resolve((JSON.parse(line) as { port: number }).port));
      server.once('exit', (code) => reject(new Error(`tracker process exited ${code}`)));
    });
    const udp = await udpLoad(port, udpCount);
    console.log(`tracker UDP: ${udp.done} announces in ${udp.seconds.toFixed(2)} s = ${rate(udp)} announces/s (${UDP_IN_FLIGHT} in flight, ${udp.failed} lost or refused)`);
    const web = await httpLoad(port, httpCount);
    console.log(`tracker HTTP: ${web.done} announces in ${web.seconds.toFixed(2)} s = ${rate(web)} announces/s (${HTTP_IN_FLIGHT} keep-alive connections, ${web.failed} failed)`);
  } finally {
    server.kill('SIGTERM');
  }
}

interface Result {
  done: number;
  failed: number;
  seconds: number;
}

const rate = (r: Result) => Math.round(r.done / r.seconds).toLocaleString('en');

function infoHash(i: number): Buffer {
  const h = Buffer.alloc(20, 0x11);
  h.writeUInt32BE(i % TORRENTS, 0);
  return h;
}

function peerId(i: number): Buffer {
  return Buffer.from(`-BN0001-${String(i).padStart(12, '0')}`, 'latin1');
}

/** `count` announces over one socket: connect once, then keep UDP_IN_FLIGHT announces outstanding. */
async function udpLoad(port: number, count: number): Promise<Result> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const pending = new Map<number, { resolve: (ok: boolean) => void; timer: NodeJS.Timeout }>();
  let connectionId = 0n;
  socket.on('message', (data) => {
    const reply = decodeUdpResponse(data, 'IPv4');
    const waiter = pending.get(reply.transactionId);
    if (!waiter) return;
    pending.delete(reply.transactionId);
    clearTimeout(waiter.timer);
    if (reply.action === 'connect') connectionId = reply.connectionId;
    waiter.resolve(reply.action === 'connect' || reply.action === 'announce');
  });
  const exchange = (transactionId: number, packet: Buffer) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(transactionId);
        resolve(false);
      }, UDP_REPLY_TIMEOUT_MS);
      pending.set(transactionId, { resolve, timer });
      socket.send(packet, port, '127.0.0.1');
    });
  try {
    if (!(await exchange(0, encodeUdpConnectRequest({ transactionId: 0 })))) throw new Error('no reply to connect');
    return await bounded(count, UDP_IN_FLIGHT, (i) =>
      exchange(
        i + 1,
        encodeUdpAnnounceRequest({
          connectionId,
          transactionId: i + 1,
          infoHash: infoHash(i),
          peerId: peerId(i),
          downloaded: 0,
          left: i % 5 === 0 ? 0 : 1000,
          uploaded: 0,
          event: 'started',
          key: i,
          numWant: 50,
          port: 1024 + (i % 60_000),
        }),
      ),
    );
  } finally {
    socket.close();
  }
}

async function httpLoad(port: number, count: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_IN_FLIGHT });
  const base = `http://127.0.0.1:${port}/announce`;
  try {
    return await bounded(count, HTTP_IN_FLIGHT, (i) => {
      const url = buildAnnounceUrl(base, {
        infoHash: infoHash(i),
        // Not the UDP peers: these are new ones.
        peerId: peerId(1_000_000 + i),
        port: 1024 + (i % 60_000),
        uploaded: 0,
        downloaded: 0,
        left: i % 5 === 0 ? 0 : 1000,
        compact: true,
        event: 'started',
        numwant: 50,
      });
      return new Promise<boolean>((resolve) => {
        http
          .get(url, { agent, timeout: 5000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(res.statusCode === 200 && parseAnnounceResponse(Buffer.concat(chunks)).type === 'success'));
            res.on('error', () => resolve(false));
          })
          .on('error', () => resolve(false));
      });
    });
  } finally {
    agent.destroy();
  }
}

/** Runs `count` jobs with at most `limit` at a time; times the whole run. */
async function bounded(count: number, limit: number, job: (i: number) => Promise<boolean>): Promise<Result> {
  let next = 0;
  let done = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (await job(i)) done++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return { done, failed, seconds: (performance.now() - started) / 1000 };
}

if (process.argv[2] === '--serve') {
  // The tracker process: caps above the request count, so nothing is evicted during the run.
  const tracker = await startTracker({ host: '127.0.0.1', port: 0, config: { maxPeers: 1_000_000, maxPeersPerTorrent: 100_000 } });
  process.stdout.write(`${JSON.stringify({ port: tracker.port })}\n`);
  const stop = () => void tracker.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  await runBench(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 5_000));
}
