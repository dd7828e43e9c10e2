import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startCli } from '../support/cli.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

/** Runs the CLI in a pseudo-terminal (util-linux `script`), bounded; resolves with everything it drew. */
function runInTerminal(args: string[], timeoutMs: number): Promise<{ status: number | null; output: string }> {
  const command = [process.execPath, '--import', tsx, main, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // A terminal of 120 columns: lines longer than the width are cut, not wrapped.
  const child = spawn('script', ['-qfec', `stty cols 120 rows 40; ${command}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    }),
  );
}

test('on a terminal, download draws live bars (download and upload lines) and redraws them in place; off one, plain lines', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'actorrent-cli-tty-'));
  const seeder = (() => {
    const seedDir = path.join(root, 'seed');
    mkdirSync(seedDir);
    writeFileSync(path.join(seedDir, 'clip.bin'), randomBytes(3 * 1024 * 1024));
    const created = runCli(['create', path.join(seedDir, 'clip.bin'), '-o', path.join(root, 'clip.torrent'), '--piece-length', '64KiB']);
    assert.equal(created.status, 0, created.stderr);
    // Slow enough (about 3 s) for several redraws.
    return startCli(['seed', path.join(root, 'clip.torrent'), '-o', seedDir, '--port', '0', '--bind', '127.0.0.1', '--json', '--upload-limit', '1MiB'], { timeoutMs: 60_000 });
  })();
  try {
    const port = (await seeder.waitForEvent((e) => e.event === 'listening'))['port'] as number;
    const download = (dir: string) => ['download', path.join(root, 'clip.torrent'), '-o', path.join(root, dir), '--peer', `127.0.0.1:${port}`, '--port', '0', '--bind', '127.0.0.1'];

    const tty = await runInTerminal(download('tty'), 30_000);
    assert.equal(tty.status, 0, tty.output);
    const redraws = tty.output.split('\x1b[2A').length - 1;
    assert.ok(redraws >= 2, `the two-line block is redrawn in place (cursor up 2) at least twice; got ${redraws}: ${JSON.stringify(tty.output.slice(0, 600))}`);
    assert.match(tty.output, /clip\.bin \[#*-+\] +\d+\.\d% \d+\/48 down [\d.]+ (?:B|KiB|MiB)\/s ETA (?:\d+:\d\d|--:--) 1 peer\x1b\[K/);
    assert.match(tty.output, /upload {3}up [\d.]+ (?:B|KiB|MiB)\/s, sent /);
    assert.match(tty.output, /\[#{20}\] 100\.0%/, 'the final bar is full');
    assert.match(tty.output, /complete: downloaded 3\.00 MiB/);

    const piped = runCli(download('pipe'), { timeoutMs: 30_000 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stdout, /\x1b/, 'no escape codes off a terminal');
    assert.match(piped.stdout, /complete: downloaded/);
    assert.ok(readFileSync(path.join(root, 'pipe', 'clip.bin')).equals(readFileSync(path.join(root, 'seed', 'clip.bin'))));
    seeder.child.kill('SIGINT');
    await seeder.exitWithin(8000);
  } finally {
    seeder.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
