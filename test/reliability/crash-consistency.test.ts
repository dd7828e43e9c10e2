import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { seededRng } from '../../src/env/rng.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { startSeeder } from '../security/harness.js';
import { type CliEvent, type CliProcess, startCli } from '../support/cli.js';
import { until } from '../support/until.js';
import { missingFrom, piecesOnDisk, resumeClaims, servedPiecesByRun } from './on-disk.js';

/**
 * Crash consistency: an `actorrent download` child is SIGKILLed at 20 random (seeded) moments, from
 * its start-up and hash check to the middle of the transfer, and restarted each time. After every
 * kill the resume data parses and claims only pieces that verify on disk; every restart starts from
 * exactly what was safe (the resume claims if it trusted them, else what its hash check found, which
 * is every piece on disk) and never asks the seeder again for any of those pieces; the last run
 * finishes byte-exact. The seeder runs in this process and logs, per connection, the pieces it served.
 * One of the runs lives until the CLI has saved resume data while downloading (every 5 s), so that
 * the kill finds resume data written mid-transfer.
 */

const KILLS = 20;
/** Runs killed only after a resume save mid-download. */
const LONG_RUNS = new Set([10]);
const LOOPBACK = ['--port', '0', '--bind', '127.0.0.1', '--json'];

test('SIGKILLed 20 times mid-download: resume data stays sound, verified pieces are never fetched again, the data ends byte-exact', { timeout: 120_000 }, async () => {
  // 32 MiB in 512 pieces at 2 MiB/s: 16 s of transfer, so the kills (at most 0.6 s into each run,
  // or just after a save for the long runs) land before the end.
  const payload = await makePayload({ multiFile: false, size: 32 * 1024 * 1024, pieceLength: 65536 });
  const { meta } = payload;
  let run = 0;
  const { wireTap, served } = servedPiecesByRun(() => run);
  const seeder = await startSeeder(payload, { wireTap });
  const rng = seededRng(20_261_125);
  const out = path.join(payload.root, 'down');
  const args = ['download', payload.torrentFile, '-o', out, '--peer', `127.0.0.1:${seeder.session.port}`, ...LOOPBACK, '--download-limit', '2MiB'];
  let child: CliProcess | undefined;
  const stats = { resumed: 0, checkedRuns: 0, claimsMax: 0, killedBeforeChecked: 0, savesMidRun: 0, piecesBeforeLastRun: 0 };
  const resumeFile = path.join(out, '.actorrent', `${meta.infoHashHex}.resume`);
  const resumeMtime = () => (existsSync(resumeFile) ? statSync(resumeFile).mtimeMs : 0);
  try {
    /** What the previous run left: pieces that verify on disk, and what its resume data claimed. */
    let before = { onDisk: new Set<number>(), claims: undefined as Set<number> | undefined };
    for (run = 0; run <= KILLS; run++) {
      const last = run === KILLS;
      if (last) stats.piecesBeforeLastRun = before.onDisk.size;
      child = startCli(args, { timeoutMs: last ? 60_000 : 20_000 });
      const listening = await child.waitForEvent((e) => e.event === 'listening', 15_000);
      assert.ok(listening);
      let exit;
      if (!last) {
        if (LONG_RUNS.has(run)) {
          const saved = resumeMtime();
          await until(() => resumeMtime() !== saved, { what: `run ${run} saving resume data`, timeoutMs: 10_000, intervalMs: 20 });
          stats.savesMidRun++;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.floor(rng() * 600)));
        assert.equal(child.child.exitCode, null, `run ${run} ended before its kill: the payload is too small for the kills`);
        child.kill();
        exit = await child.exitWithin(10_000);
        assert.equal(exit.signal, 'SIGKILL');
      } else {
        exit = await child.exitWithin(60_000);
        assert.equal(exit.status, 0, `the last run failed: ${exit.stderr}`);
      }

      // The run started from what was safe, and did not fetch any of it again.
      const checked = child.events().find((e) => e.event === 'checked') as (CliEvent & { have: number; resumed: boolean }) | undefined;
      if (checked) {
        stats.checkedRuns++;
        if (checked.resumed) stats.resumed++;
        const start = checked.resumed ? before.claims : before.onDisk;
        assert.ok(start, `run ${run} resumed without resume data`);
        assert.equal(checked.have, start.size, `run ${run} started with ${checked.have} pieces, ${start.size} were safe`);
        if (before.claims) assert.ok(checked.have >= before.claims.size, `run ${run} lost pieces its resume data claimed`);
        const again = [...(served.get(run) ?? [])].filter((i) => start.has(i));
        assert.deepEqual(again, [], `run ${run} fetched pieces it already had`);
      } else stats.killedBeforeChecked++;

      const onDisk = piecesOnDisk(meta, out);
      const claims = await resumeClaims(meta, out); // throws if the resume data does not parse
      if (claims) {
        assert.deepEqual(missingFrom(claims, onDisk), [], `run ${run}: resume data claims pieces that do not verify`);
        stats.claimsMax = Math.max(stats.claimsMax, claims.size);
      }
      before = { onDisk, claims };
    }
    payload.assertSame(out);
    assert.equal(before.onDisk.size, meta.pieceCount);
    assert.ok(stats.checkedRuns >= KILLS / 2, `most runs got past their check: ${JSON.stringify(stats)}`);
    // Pieces fetched in more than one run: only ones that were in flight (not yet verified) at a kill.
    const counts = new Map<number, number>();
    for (const set of served.values()) for (const i of set) counts.set(i, (counts.get(i) ?? 0) + 1);
    const refetched = [...counts.values()].filter((n) => n > 1).length;
    console.log(`crash consistency: ${JSON.stringify(stats)}, ${refetched} of ${meta.pieceCount} pieces fetched in more than one run (in flight at a kill)`);
  } finally {
    child?.kill();
    await withTimeout(seeder.session.close(), 10_000, 'seeder close');
    payload.cleanup();
  }
});
