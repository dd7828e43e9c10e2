/**
 * `actorrent tracker` (its own process, 127.0.0.1 only) under a slow-headers flood: 2 000
 * connections from 50 loopback addresses (40 each: past the per-address cap, and 50 × 32 is past
 * the connection cap) send the start of a request line and never finish it, reopening as soon as
 * they are closed. Meanwhile an honest client announces every 100 ms from 127.0.0.1 on a fresh
 * connection: every announce must be answered (200, a bencoded reply) within 1 s, the tracker's
 * memory must stay bounded, and it must still stop cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAnnounceResponse } from '../../src/protocol/tracker/index.js';
import { watchChildOutput } from '../support/child-output.js';
import { loopbackAddresses, startSlowHttpFlood } from '../support/slow-http-clients.js';
import { until } from '../support/until.js';
import { announceQuery } from '../tracker/core-helpers.js';

const runner = fileURLToPath(new URL('../cli/tracker-runner.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

const ADDRESSES = 50;
const PER_ADDRESS = 40;
const HONEST_EVERY_MS = 100;
const HONEST_COUNT = 50;
const ANSWER_WITHIN_MS = 1000;
/**
 * What the flood may add to the tracker's resident memory: 1 024 open connections and V8's young
 * generation under thousands of new connections a second. Measured: +40–70 MiB, flat over a 30 s flood.
 */
const RSS_GROWTH_LIMIT = 96 << 20;

interface Answer {
  ms: number;
  ok: boolean;
  detail: string;
}

/** One announce on a fresh connection from 127.0.0.1; never rejects. */
function honestAnnounce(port: number, peer: number): Promise<Answer> {
  const started = performance.now();
  const path = `/announce?${announceQuery({ torrent: 1, peer, port: 7000 + peer })}`;
  return new Promise((resolve) => {
    const done = (ok: boolean, detail: string) => resolve({ ms: performance.now() - started, ok, detail });
    const req = http.get({ host: '127.0.0.1', port, path, localAddress: '127.0.0.1', agent: false, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => done(false, err.message));
      res.on('end', () => {
        if (res.statusCode !== 200) return done(false, `HTTP ${res.statusCode}`);
        try {
          const reply = parseAnnounceResponse(Buffer.concat(chunks));
          done(reply.type === 'success', reply.type);
        } catch (err) {
          done(false, String(err));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (err) => done(false, err.message));
  });
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

test('2 000 slow-header connections: every honest announce is answered within 1 s, memory stays bounded', { timeout: 45_000 }, async (t) => {
  const child = spawn(process.execPath, ['--import', tsx, runner, JSON.stringify({ host: '127.0.0.1', port: '0', json: true, httpOnly: true })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const output = watchChildOutput(child, 'actorrent tracker', (line) => [JSON.parse(line) as Record<string, unknown>]);
  let flood: ReturnType<typeof startSlowHttpFlood> | undefined;
  try {
    const listening = await output.waitForEvent((e) => e['event'] === 'listening', 15_000);
    const port = listening['port'] as number;
    const pid = child.pid!;
    // A few announces first, so the baseline has served requests.
    for (let i = 0; i < 3; i++) assert.equal((await honestAnnounce(port, 1000 + i)).ok, true);
    const rssBefore = rssBytes(pid);

    flood = startSlowHttpFlood({ port, addresses: loopbackAddresses(ADDRESSES), perAddress: PER_ADDRESS });
    const attackers = ADDRESSES * PER_ADDRESS;
    await until(() => flood!.connected >= attackers, { what: `${attackers} slow connections established`, timeoutMs: 8000, intervalMs: 50 });

    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(pid))), 200);
    const pending: Promise<Answer>[] = [];
    let answers: Answer[];
    try {
      for (let i = 0; i < HONEST_COUNT; i++) {
        pending.push(honestAnnounce(port, i + 1));
        await sleep(HONEST_EVERY_MS);
      }
      answers = await Promise.all(pending);
    } finally {
      clearInterval(sampler);
    }
    rssPeak = Math.max(rssPeak, rssBytes(pid));
    const pressure = { opened: flood.opened, closedByServer: flood.closed, live: flood.live };
    flood.stop();

    const latencies = answers.map((a) => a.ms);
    const failed = answers.filter((a) => !a.ok || a.ms > ANSWER_WITHIN_MS);
    t.diagnostic(
      `honest announces: ${answers.length}, max ${Math.max(...latencies).toFixed(1)} ms, median ${median(latencies).toFixed(1)} ms; ` +
        `RSS ${mib(rssBefore)} before, peak ${mib(rssPeak)}; flood ${JSON.stringify(pressure)}`,
    );
    assert.deepEqual(
      failed.map((a) => `${a.detail} after ${a.ms.toFixed(0)} ms`),
      [],
      `every honest announce answered within ${ANSWER_WITHIN_MS} ms`,
    );
    assert.ok(pressure.closedByServer > 0, 'the flood was under pressure (its connections were being closed)');
    assert.ok(rssPeak - rssBefore < RSS_GROWTH_LIMIT, `RSS grew by ${mib(rssPeak - rssBefore)} (limit ${mib(RSS_GROWTH_LIMIT)})`);

    assert.equal(output.isClosed(), false, 'the tracker is still running');
    child.kill('SIGTERM');
    assert.deepEqual(await output.closed, { code: 143, signal: null });
    const stopped = output.events().find((e) => e['event'] === 'stopped') as { http?: { evicted: number; refused: number; timedOut: number } } | undefined;
    t.diagnostic(`tracker's HTTP connection counters: ${JSON.stringify(stopped?.http)}`);
    assert.ok(stopped?.http && stopped.http.evicted > 0, 'the tracker reports the connections it evicted');
  } finally {
    flood?.stop();
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});
