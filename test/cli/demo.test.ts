import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCli } from '../support/cli.js';

test('demo: a seeder and leechers on loopback, every copy verified, temporary files removed', () => {
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('actorrent-demo-')));
  const r = runCli(['demo', '--size', '2MiB', '--leechers', '2'], { timeoutMs: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /all 2 copies verified byte for byte/);
  assert.match(r.stdout, /leecher 2 +uploaded/);
  // The leechers found the seeder through actorrent's tracker, and the seeder sent to each of them.
  assert.match(r.stdout, /tracker on 127\.0\.0\.1:\d+ \(HTTP and UDP\)/);
  assert.match(r.stdout, /seeder +→ leecher 1 /);
  assert.match(r.stdout, /seeder +→ leecher 2 /);
  const after = readdirSync(tmpdir()).filter((f) => f.startsWith('actorrent-demo-') && !before.has(f));
  assert.deepEqual(after, [], 'the demo left its temporary folder behind');
});

test('demo: bad options are usage errors: exit 2 with one line', () => {
  const r = runCli(['demo', '--leechers', 'many']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--leechers must be a whole number/);
});
