import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePeerCommandOptions } from '../../src/cli/peer-command-options.js';
import { makePayload } from '../engine/swarm-helpers.js';
import { type CliProcess, runCli, startCli } from '../support/cli.js';

/*
 * `--lsd` / `--no-lsd` on `download` and `seed`. The processes bind 127.0.0.1, so LSD runs on the
 * loopback interface only: nothing is multicast on the host's real network.
 */

const LOOPBACK = ['--port', '0', '--bind', '127.0.0.1', '--json'];

test('LSD is on unless --no-lsd', () => {
  assert.equal(parsePeerCommandOptions({ port: '0' }).lsd, true);
  assert.equal(parsePeerCommandOptions({ port: '0', lsd: true }).lsd, true);
  assert.equal(parsePeerCommandOptions({ port: '0', lsd: false }).lsd, false);
  for (const command of ['download', 'seed']) {
    const help = runCli([command, '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--lsd .*local network/);
    assert.match(help.stdout, /--no-lsd/);
  }
});

test('on loopback, with no tracker and no --peer: a download finds the seeder by LSD; with --no-lsd it finds nobody', { timeout: 60_000 }, async () => {
  const payload = await makePayload({ multiFile: false, size: 500_000, pieceLength: 32 * 1024 });
  const processes: CliProcess[] = [];
  const cli = (args: string[]) => {
    const p = startCli([...args, ...LOOPBACK], { timeoutMs: 50_000 });
    processes.push(p);
    return p;
  };
  try {
    const seeder = cli(['seed', payload.torrentFile, '-o', payload.seedDir]);
    await seeder.waitForEvent((e) => e.event === 'seeding', 20_000);

    const quiet = cli(['download', payload.torrentFile, '-o', payload.dir('no-lsd'), '--no-lsd']);
    await quiet.waitForEvent((e) => e.event === 'checked', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(quiet.events().filter((e) => e.event === 'peer-connected'), [], 'with --no-lsd it neither announces nor hears');

    const out = payload.dir('lsd');
    const download = cli(['download', payload.torrentFile, '-o', out]);
    const exit = await download.exitWithin(30_000);
    assert.equal(exit.status, 0, exit.stderr + exit.stdout);
    payload.assertSame(out);
    assert.deepEqual(download.events().filter((e) => e.event === 'warning'), [], 'no LSD warning');
  } finally {
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exited));
    payload.cleanup();
  }
});
