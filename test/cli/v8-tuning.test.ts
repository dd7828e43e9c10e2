import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { YOUNG_GENERATION_CAP } from '../../src/cli/v8-tuning.js';

const PROBE = fileURLToPath(new URL('./support/young-generation-probe.ts', import.meta.url));

async function maxYoungMiB(command: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE, command], { timeout: 30_000 });
  return (JSON.parse(stdout) as { maxYoungMiB: number }).maxYoungMiB;
}

test('a peer command caps the young generation; other commands leave V8 to grow it', async () => {
  const capMiB = YOUNG_GENERATION_CAP / 2 ** 20;
  const [peer, other] = await Promise.all([maxYoungMiB('download'), maxYoungMiB('create')]);
  // Without the cap the same allocations grow it past the cap: the probe can tell.
  assert.ok(other > capMiB, `uncapped, the young generation reached ${other} MiB`);
  assert.ok(peer <= capMiB, `capped at ${capMiB} MiB, it reached ${peer} MiB`);
});
