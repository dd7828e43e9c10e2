import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { startSeeder } from '../security/harness.js';
import { type CliEvent, startCli } from '../support/cli.js';
import { missingFrom, piecesOnDisk, resumeClaims, servedPiecesByRun } from './on-disk.js';

/**
 * Disk full: a download into a tmpfs smaller than the torrent ends with exit status 1 and a "no space
 * left" error on stderr; whatever resume data is left parses and claims only pieces that verify.
 * Once the tmpfs is remounted bigger, the rerun completes byte-exact and never asks the seeder again
 * for a piece that was already on disk. Mounting needs root: elsewhere than CI the test is skipped.
 */

function mount(args: string[]): void {
  const r = spawnSync('mount', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** True when the test may mount a tmpfs; skips (or, under CI=true, fails) otherwise. */
function canMount(t: TestContext): boolean {
  const why = process.getuid?.() !== 0 ? 'not root' : spawnSync('mount', ['--version'], { timeout: 10_000 }).status !== 0 ? 'no mount command' : undefined;
  if (!why) return true;
  const message = `the disk-full test mounts a tmpfs and needs root (${why})`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

test('a full disk ends the download with a clear "no space" error; after space is freed the rerun completes', { timeout: 90_000 }, async (t) => {
  if (!canMount(t)) return;
  // 8 MiB in 128 pieces into a 3 MiB tmpfs.
  const payload = await makePayload({ multiFile: false, size: 8 * 1024 * 1024, pieceLength: 65536 });
  const { meta } = payload;
  let run = 0;
  const { wireTap, served } = servedPiecesByRun(() => run);
  const seeder = await startSeeder(payload, { wireTap });
  const mnt = path.join(payload.root, 'small-disk');
  mkdirSync(mnt);
  let mounted = false;
  const children: ReturnType<typeof startCli>[] = [];
  try {
    mount(['-t', 'tmpfs', '-o', 'size=3m,mode=0755', 'tmpfs', mnt]);
    mounted = true;
    const out = path.join(mnt, 'out');
    const args = ['download', payload.torrentFile, '-o', out, '--peer', `127.0.0.1:${seeder.session.port}`, '--port', '0', '--bind', '127.0.0.1'];

    const full = startCli(args, { timeoutMs: 30_000 });
    children.push(full);
    const failed = await full.exitWithin(30_000);
    assert.equal(failed.status, 1, `exit status; stderr: ${failed.stderr}`);
    assert.match(failed.stderr, /no space left on the device/);
    t.diagnostic(`stderr: ${failed.stderr.trim()}`);
    assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
    const onDisk = piecesOnDisk(meta, out);
    assert.ok(onDisk.size > 0 && onDisk.size < meta.pieceCount, `${onDisk.size} pieces on disk`);
    const claims = await resumeClaims(meta, out); // throws if it does not parse
    if (claims) assert.deepEqual(missingFrom(claims, onDisk), [], 'resume data claims pieces that do not verify');

    // Space is freed: the rerun starts from what is on disk and fetches only the rest.
    mount(['-o', 'remount,size=32m', mnt]);
    run = 1;
    const rerun = startCli([...args, '--json'], { timeoutMs: 60_000 });
    children.push(rerun);
    const done = await rerun.exitWithin(60_000);
    assert.equal(done.status, 0, `rerun failed: ${done.stderr}`);
    const checked = rerun.events().find((e) => e.event === 'checked') as (CliEvent & { have: number; resumed: boolean }) | undefined;
    assert.ok(checked, 'the rerun checked the data');
    assert.equal(checked.have, checked.resumed ? claims?.size : onDisk.size, 'the rerun started from the pieces on disk');
    const again = [...(served.get(1) ?? [])].filter((i) => onDisk.has(i));
    assert.deepEqual(again, [], 'pieces fetched again although they were on disk');
    payload.assertSame(out);
    t.diagnostic(`disk full after ${onDisk.size} of ${meta.pieceCount} pieces; resume data ${claims ? `claimed ${claims.size}` : 'not written'}`);
  } finally {
    for (const child of children) child.kill();
    await withTimeout(seeder.session.close(), 10_000, 'seeder close');
    if (mounted) spawnSync('umount', [mnt], { timeout: 10_000 });
    if (mounted) rmdirSync(mnt);
    payload.cleanup();
  }
});
