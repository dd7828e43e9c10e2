import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { filter, firstValueFrom } from 'rxjs';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { until } from '../support/until.js';
import { startSeeder, startSession } from './harness.js';

/**
 * A flood of idle connections against a seeder's peer port (issue: "idle sockets must not lock out
 * honest peers"). An attacker process holds 400 connections that never send a byte, from 50
 * loopback addresses (8 each: at the per-address cap, so the session-wide limit of 200 is what is
 * tested), and reopens each as soon as it is closed. An honest leecher from 127.0.0.1 must connect
 * within 2 s and, once connected, download at least at half the speed it had without the attack.
 */

const ATTACKER = fileURLToPath(new URL('./clients/idle-flood.ts', import.meta.url));
const SIZE = 64 * 1024 * 1024;

async function timedDownload(payload: Awaited<ReturnType<typeof makePayload>>, port: number, name: string) {
  const session = await startSession();
  const dir = payload.dir(name);
  const started = performance.now();
  const handle = session.add(payload.meta, { downloadDir: dir, peers: [{ host: '127.0.0.1', port }], noTrackers: true });
  const connected = firstValueFrom(handle.events$.pipe(filter((e) => e.type === 'peer-connected'))).then(() => performance.now() - started);
  try {
    const connectMs = await withTimeout(connected, 10_000, `${name}: connected to the seeder`);
    await withTimeout(handle.whenComplete(), 60_000, `${name}: the download`);
    const seconds = (performance.now() - started) / 1000;
    payload.assertSame(dir);
    // Speed is judged from the connection on: how soon it connects has a bound of its own.
    return { connectMs, seconds, transferSeconds: seconds - connectMs / 1000 };
  } finally {
    await session.close();
  }
}

type Timed = Awaited<ReturnType<typeof timedDownload>>;

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function startAttacker(port: number, count: number, addresses: string[], seconds: number): ChildProcess {
  // At the lowest priority: a real attacker is another machine, not a process competing with the
  // victim for this machine's two cores (what its connections cost our kernel still counts).
  return spawn('nice', ['-n', '19', process.execPath, '--import', 'tsx', ATTACKER, String(port), String(count), String(seconds), ...addresses], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

test('400 idle connections reopened as they close: an honest leecher connects within 2 s and keeps at least half its speed', { timeout: 120_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: SIZE, pieceLength: 256 * 1024 });
  const seeder = await startSeeder(payload);
  let attacker: ChildProcess | undefined;
  try {
    // One warm-up run (the first run of a process is the slowest), then the median of three is the reference.
    await timedDownload(payload, seeder.session.port, 'warm-up');
    const quiet: Timed[] = [];
    for (const n of [1, 2, 3]) quiet.push(await timedDownload(payload, seeder.session.port, `quiet-${n}`));
    const reference = median(quiet.map((r) => r.transferSeconds));

    const addresses = Array.from({ length: 50 }, (_, i) => `127.0.1.${i + 10}`);
    attacker = startAttacker(seeder.session.port, 400, addresses, 60);
    const output: string[] = [];
    attacker.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await until(() => output.join('').includes('holding'), { what: 'the attacker opened its 400 connections', timeoutMs: 20_000 });
    // The flood is on: the session-wide limit is reached and the server makes room by evicting.
    await withTimeout(
      firstValueFrom(seeder.session.serverEvents$.pipe(filter((e) => e.type === 'evicted'))),
      10_000,
      'evictions under the flood',
    );
    const rssBefore = process.memoryUsage().rss;
    // Compared alike: the median of three runs under attack.
    const attackedRuns = [];
    for (const n of [1, 2, 3]) attackedRuns.push(await timedDownload(payload, seeder.session.port, `attacked-${n}`));
    const attacked = {
      transferSeconds: median(attackedRuns.map((r) => r.transferSeconds)),
      connectMs: Math.max(...attackedRuns.map((r) => r.connectMs)),
    };
    const stats = seeder.session.serverStats();
    const rssAfter = process.memoryUsage().rss;
    const transfers = (runs: Timed[]) => runs.map((r) => `${r.seconds.toFixed(2)} (${r.transferSeconds.toFixed(2)} connected)`).join(' / ');
    const report = `quiet ${transfers(quiet)} s, attacked ${transfers(attackedRuns)} s, connected after ${attackedRuns.map((r) => r.connectMs.toFixed(0)).join(' / ')} ms; server ${JSON.stringify(stats)}; RSS ${(rssAfter / 2 ** 20).toFixed(0)} MiB (${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MiB during the attacked downloads)`;
    console.log(`# ${report}`);
    assert.ok(attacked.connectMs < 2000, `connected within 2 s: ${report}`);
    assert.ok(attacked.transferSeconds <= 2 * reference, `at least half the quiet speed once connected: ${report}`);
    assert.ok(stats.evicted > 0 && stats.accepted >= 3, report);
    assert.ok(rssAfter - rssBefore < 256 * 2 ** 20, `memory bounded: ${report}`);
  } finally {
    if (attacker && attacker.exitCode === null) {
      attacker.kill('SIGTERM');
      await once(attacker, 'exit');
    }
    await seeder.session.close();
    payload.cleanup();
  }
});
