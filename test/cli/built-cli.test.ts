import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILT_CLI, runCli, startCli } from '../support/cli.js';

/**
 * The CLI as shipped: `download`, `seed` and `tracker` run as bundles (scripts/bundle-cli.mjs),
 * which the other CLI tests (run from source) never load. `npm ci` builds it (`prepare`); under CI a
 * missing build fails, elsewhere it skips.
 */
const LOOPBACK = ['--port', '0', '--bind', '127.0.0.1', '--json', '--no-lsd', '--no-dht'];

test('the built CLI seeds and downloads over RC4, runs a tracker, and reports errors in one line', { timeout: 60_000 }, async (t) => {
  if (!existsSync(BUILT_CLI)) {
    if (process.env['CI']) assert.fail(`${BUILT_CLI} is missing: npm ci (or npm run build) builds it`);
    t.skip(`${BUILT_CLI} is missing: run npm run build`);
    return;
  }
  const root = mkdtempSync(path.join(tmpdir(), 'actorrent-built-'));
  const processes: ReturnType<typeof startCli>[] = [];
  try {
    const data = randomBytes(3 * 1024 * 1024 + 12_345);
    mkdirSync(path.join(root, 'seed'));
    writeFileSync(path.join(root, 'seed', 'payload.bin'), data);
    const torrent = path.join(root, 'payload.torrent');
    const created = runCli(['create', path.join(root, 'seed', 'payload.bin'), '-o', torrent, '--piece-length', '64KiB'], { built: true });
    assert.equal(created.status, 0, created.stderr);

    const seed = startCli(['seed', torrent, '-o', path.join(root, 'seed'), ...LOOPBACK, '--encryption', 'require'], { built: true, timeoutMs: 50_000 });
    processes.push(seed);
    const listening = await seed.waitForEvent((e) => e.event === 'listening', 20_000);
    await seed.waitForEvent((e) => e.event === 'seeding', 20_000);
    const download = startCli(['download', torrent, '-o', path.join(root, 'leech'), ...LOOPBACK, '--encryption', 'require', '--peer', `127.0.0.1:${String(listening['port'])}`], {
      built: true,
      timeoutMs: 50_000,
    });
    processes.push(download);
    const exit = await download.exitWithin(40_000);
    assert.equal(exit.status, 0, download.stderr());
    assert.ok(readFileSync(path.join(root, 'leech', 'payload.bin')).equals(data), 'the downloaded file is the seeded one');

    const tracker = startCli(['tracker', '--host', '127.0.0.1', '--port', '0', '--json'], { built: true, timeoutMs: 30_000 });
    processes.push(tracker);
    await tracker.waitForEvent((e) => e.event === 'listening', 20_000);
    tracker.child.kill('SIGINT');
    assert.equal((await tracker.exitWithin(10_000)).status, 130, tracker.stderr()); // interrupted, as from source

    const missing = runCli(['download', path.join(root, 'missing.torrent')], { built: true });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^actorrent: .*missing\.torrent: no such file/);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  } finally {
    for (const p of processes) p.kill();
    rmSync(root, { recursive: true, force: true });
  }
});
