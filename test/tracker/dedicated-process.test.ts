/**
 * startTracker({ dedicatedProcess }) keeps V8's young generation from growing under allocation
 * that would grow it otherwise. Process-wide, so each case runs in a child process of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TRACKER = fileURLToPath(new URL('../../src/tracker-server.ts', import.meta.url));

/** The young generation's size before and after churning garbage, with some of it surviving a while. */
function youngGeneration(dedicatedProcess: boolean): { before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { startTracker } = await import(${JSON.stringify(TRACKER)});
    const tracker = await startTracker({ port: 0, dedicatedProcess: ${dedicatedProcess} });
    const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const before = size();
    const ring = new Array(20000);
    for (let i = 0; i < 3000000; i++) ring[i % ring.length] = { i, text: 'garbage ' + i };
    console.log(JSON.stringify({ before, after: size() }));
    await tracker.stop();
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { before: number; after: number };
}

test('dedicatedProcess: the young generation stays at its size; without it, the same churn grows it', { timeout: 120_000 }, () => {
  const dedicated = youngGeneration(true);
  assert.equal(dedicated.after, dedicated.before);
  const shared = youngGeneration(false);
  assert.ok(shared.after > shared.before, `without the option it grew from ${shared.before} to ${shared.after}`);
});
