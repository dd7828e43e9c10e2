// The daemon with 200 small torrents seeded from local data (issue 20): `torrent-get` of all of
// them with the fields a remote's list asks for, the daemon's RSS, and its CPU while idle. Targets
// are absolute (≤ 50 ms, < 300 MiB, < 2 %); no anchor yet (a transmission-daemon with the same 200
// torrents would be the natural one).
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { PieceHasher, encodeTorrent } from '../../src/protocol/metainfo/index.js';
import { actorrentCommand } from './actorrent.js';
import { type BenchCase, type Ctx, actorrentName, say } from './context.js';
import { tempDir } from './payload.js';
import { start } from './procs.js';
import { makeCase, measure } from './results.js';

const LIST_FIELDS = ['id', 'name', 'status', 'error', 'errorString', 'eta', 'isFinished', 'leftUntilDone', 'percentDone', 'peersGettingFromUs', 'peersSendingToUs', 'rateDownload', 'rateUpload', 'sizeWhenDone', 'uploadRatio', 'hashString', 'totalSize', 'downloadDir', 'queuePosition', 'labels', 'addedDate', 'doneDate', 'downloadedEver', 'uploadedEver', 'peersConnected'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function rpc(url: string, session: { id: string }, body: unknown): Promise<{ result: string; arguments: Record<string, unknown> }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await fetch(url, { method: 'POST', headers: { 'X-Transmission-Session-Id': session.id }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    if (res.status === 409) {
      session.id = res.headers.get('x-transmission-session-id') ?? '';
      await res.text();
      continue;
    }
    return (await res.json()) as { result: string; arguments: Record<string, unknown> };
  }
  throw new Error('no session id');
}

/** utime + stime of a process, in clock ticks (100 a second on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

export const daemonCase: BenchCase = {
  id: 'daemon',
  async run(ctx: Ctx) {
    const count = ctx.config.quick ? 200 : 200;
    const dir = tempDir('daemon');
    const downloads = path.join(dir, 'downloads');
    await mkdir(downloads, { recursive: true });
    const torrents: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const content = Buffer.alloc(40_000 + i, i & 0xff);
      content.writeUInt32BE(i, 0);
      const name = `t${String(i).padStart(3, '0')}.bin`;
      await writeFile(path.join(downloads, name), content);
      const hasher = new PieceHasher(16 * 1024);
      hasher.push(content);
      torrents.push(encodeTorrent({ name, files: [{ path: [name], length: content.length }], multiFile: false, pieceLength: 16 * 1024, pieces: hasher.finish() }));
    }
    const rpcPort = await freePort();
    const proc = start(actorrentCommand(['daemon', '--data', path.join(dir, 'data'), '--download-dir', downloads, '--port', '0', '--bind', '127.0.0.1', '--rpc-port', String(rpcPort)]), {
      label: 'actorrent daemon',
      seconds: 300,
    });
    const url = `http://127.0.0.1:${rpcPort}/transmission/rpc`;
    const session = { id: '' };
    say(`  daemon: ${count} torrents of ~40 kB seeded from local data; torrent-get of all (${LIST_FIELDS.length} fields), RSS, idle CPU`);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await rpc(url, session, { method: 'session-get', arguments: { fields: ['version'] } });
          break;
        } catch (err) {
          if (attempt > 100) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      for (const bytes of torrents) {
        const answer = await rpc(url, session, { method: 'torrent-add', arguments: { metainfo: bytes.toString('base64') } });
        if (answer.result !== 'success') throw new Error(`torrent-add: ${answer.result}`);
      }
      for (let waited = 0; ; waited += 200) {
        const answer = await rpc(url, session, { method: 'torrent-get', arguments: { fields: ['status'] } });
        const seeding = (answer.arguments['torrents'] as { status: number }[]).filter((t) => t.status === 6).length;
        if (seeding === count) break;
        if (waited > 120_000) throw new Error(`only ${seeding} of ${count} seeding after 2 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const started = performance.now();
        const answer = await rpc(url, session, { method: 'torrent-get', arguments: { fields: LIST_FIELDS } });
        times.push(performance.now() - started);
        if ((answer.arguments['torrents'] as unknown[]).length !== count) throw new Error('torrent-get did not list every torrent');
      }
      // Idle: nothing asked of it for 10 s, after 20 s for the garbage collector to finish with the start-up.
      const pid = Number(readFileSync(`/proc/${proc.child.pid}/task/${proc.child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      const ticks0 = cpuTicks(pid);
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const idleCpu = ((cpuTicks(pid) - ticks0) / 100 / ((performance.now() - t0) / 1000)) * 100;
      const rss = rssMiB(pid);
      const sorted = [...times].sort((a, b) => a - b);
      say(`    torrent-get median ${sorted[15]!.toFixed(1)} ms (max ${sorted.at(-1)!.toFixed(1)}), RSS ${rss.toFixed(0)} MiB, idle CPU ${idleCpu.toFixed(2)} %`);
      const name = actorrentName(ctx);
      return [
        makeCase({ id: 'daemon-torrent-get', title: `daemon: torrent-get of ${count} torrents, list fields`, unit: 'ms', actorrent: measure(name, times), anchor: null, target: { text: '≤ 50 ms', on: 'value', op: '<=', bound: 50 } }),
        makeCase({ id: 'daemon-rss', title: `daemon: RSS with ${count} torrents seeding`, unit: 'MiB', actorrent: measure(name, [rss]), anchor: null, target: { text: '< 300 MiB', on: 'value', op: '<=', bound: 300 } }),
        makeCase({ id: 'daemon-idle-cpu', title: `daemon: idle CPU with ${count} torrents seeding`, unit: '%', actorrent: measure(name, [idleCpu]), anchor: null, target: { text: '< 2 %', on: 'value', op: '<=', bound: 2 } }),
      ];
    } finally {
      await proc.stop();
    }
  },
};
