// Loopback throughput between two actorrent processes: `actorrent seed` → `actorrent download`.
// Prints wall time, MB/s and the leecher's peak RSS. SIZE_MIB (default 512) sets the payload size.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const sizeMiB = Number(process.env.SIZE_MIB ?? 512);
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-bench-'));
const children: ReturnType<typeof spawn>[] = [];

function actorrent(args: string[]) {
  const child = spawn(process.execPath, ['--import', tsx, main, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  return { child, lines };
}

function waitForEvent(lines: ReturnType<typeof createInterface>, name: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const event = JSON.parse(line) as { event: string };
      if (event.event === name) resolve(event as never);
      if (event.event === 'error') reject(new Error(line));
    });
  });
}

function peakRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb);
    } catch {
      // The process has exited.
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return peak / 1024;
  };
}

try {
  const seedDir = path.join(dir, 'seed');
  mkdirSync(seedDir);
  const file = path.join(seedDir, 'payload.bin');
  const out = createWriteStream(file);
  for (let i = 0; i < sizeMiB; i++) if (!out.write(randomBytes(1024 * 1024))) await new Promise<void>((r) => out.once("drain", () => r()));
  await new Promise<void>((r) => out.end(() => r()));
  const torrent = path.join(dir, 'payload.torrent');
  const created = actorrent(['create', file, '-o', torrent, '--piece-length', '256KiB']);
  await new Promise((r) => created.child.once('exit', r));

  const seeder = actorrent(['seed', torrent, '-o', seedDir, '--port', '0', '--bind', '127.0.0.1', '--json']);
  const { port } = await waitForEvent(seeder.lines, 'listening');
  const started = performance.now();
  const leecher = actorrent(['download', torrent, '-o', path.join(dir, 'leech'), '--port', '0', '--bind', '127.0.0.1', '--peer', `127.0.0.1:${port}`, '--json']);
  const rss = peakRss(leecher.child.pid!);
  const complete = await waitForEvent(leecher.lines, 'complete');
  const seconds = (performance.now() - started) / 1000;
  const transferSeconds = Number(complete['seconds']);
  await new Promise((r) => leecher.child.once('exit', r));
  const peak = rss();
  const mb = (sizeMiB * 1024 * 1024) / 1e6;
  console.log(
    `transfer: ${sizeMiB} MiB seed → download over loopback: ${seconds.toFixed(2)} s wall with process start-up = ${(mb / seconds).toFixed(0)} MB/s; ` +
      `${transferSeconds.toFixed(2)} s by the leecher's clock = ${(mb / transferSeconds).toFixed(0)} MB/s; leecher peak RSS ${peak.toFixed(0)} MiB`,
  );
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
