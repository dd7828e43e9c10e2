import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';

test('actorrent sim runs a swarm and prints completion times and who uploaded what', { timeout: 60_000 }, () => {
  const r = runCli(['sim', '--peers', '3', '--size', '1MiB', '--seed', '3', '--latency', '10'], { timeoutMs: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 seeder \+ 3 leechers, 1\.00 MiB/);
  assert.match(r.stdout, /3 leechers complete by [\d.]+ s simulated \(real [\d.]+ s, \d+ steps\); copies byte-exact: all/);
  for (const name of ['seeder', 'leecher-1', 'leecher-2', 'leecher-3']) assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
  assert.match(r.stdout, /the seeder sent .* uploaded in all/);
});

test('actorrent sim --churn with the same seed writes byte-identical traces', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'actorrent-sim-'));
  try {
    const digests: string[] = [];
    for (const name of ['a.jsonl', 'b.jsonl']) {
      const file = path.join(dir, name);
      const r = runCli(['sim', '--peers', '4', '--size', '1MiB', '--seed', '9', '--churn', '--trace', file], { timeoutMs: 40_000 });
      assert.equal(r.status, 0, r.stderr);
      const text = await readFile(file, 'utf8');
      assert.match(text.split('\n')[0]!, /"kind":"meta".*"command":"sim"/);
      digests.push(createHash('sha256').update(text).digest('hex'));
    }
    assert.equal(digests[1], digests[0]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('actorrent sim refuses bad values with exit code 2', { timeout: 30_000 }, () => {
  for (const args of [['--peers', '0'], ['--size', 'lots'], ['--seed', '-1'], ['--latency', '1.5']]) {
    const r = runCli(['sim', ...args], { timeoutMs: 20_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^actorrent: /);
  }
});
