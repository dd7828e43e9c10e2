import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makePayload } from '../engine/swarm-helpers.js';
import { runCli, startCli } from '../support/cli.js';

/**
 * The whole loop through the CLI: `seed` and `download --trace` on loopback, then `replay` of both
 * traces (clean, exit 0), of hand-edited copies that make actorrent break an invariant (exit 1 with
 * the line), and of a damaged file (exit 1 naming the line, no stack trace).
 */

let payload: Awaited<ReturnType<typeof makePayload>>;
let downloadTrace: string;
let seedTrace: string;

before(async () => {
  payload = await makePayload({ multiFile: false, size: 1024 * 1024 + 1234, pieceLength: 64 * 1024 });
  downloadTrace = path.join(payload.root, 'download.trace');
  seedTrace = path.join(payload.root, 'seed.trace');
  // --no-lsd: on one host LSD would have the seeder dial the leecher back, a second (duplicate) connection in the traces.
  const seeder = startCli(['seed', payload.torrentFile, '-o', payload.seedDir, '--port', '0', '--bind', '127.0.0.1', '--no-lsd', '--json', '--trace', seedTrace], { timeoutMs: 60_000 });
  try {
    const listening = await seeder.waitForEvent((e) => e.event === 'listening', 20_000);
    await seeder.waitForEvent((e) => e.event === 'checked', 20_000);
    const out = payload.dir('download');
    const download = runCli(['download', payload.torrentFile, '-o', out, '--peer', `127.0.0.1:${String(listening['port'])}`, '--port', '0', '--bind', '127.0.0.1', '--no-lsd', '--quiet', '--trace', downloadTrace], {
      timeoutMs: 60_000,
    });
    assert.equal(download.status, 0, download.stderr);
    payload.assertSame(out);
  } finally {
    seeder.child.kill('SIGTERM');
    await seeder.exitWithin(20_000).catch(() => seeder.kill());
  }
});

after(() => payload?.cleanup());

const replay = (file: string, ...args: string[]) => runCli(['replay', file, ...args], { timeoutMs: 60_000 });

/** The trace's lines with `record` inserted after the first line `after` matches; seq renumbered. */
function insertAfter(file: string, after: (record: Record<string, unknown>) => boolean, record: Record<string, unknown>): { file: string; line: number } {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const at = lines.findIndex((l, i) => i > 0 && after(JSON.parse(l) as Record<string, unknown>));
  assert.ok(at > 0, 'no line to insert after');
  const previous = JSON.parse(lines[at]!) as Record<string, unknown>;
  lines.splice(at + 1, 0, JSON.stringify({ t: previous['t'], seq: 0, node: previous['node'], kind: 'wire', peer: previous['peer'], dir: 'out', ...record }));
  const renumbered = lines.map((l, i) => (i === 0 ? l : JSON.stringify({ ...(JSON.parse(l) as object), seq: i - 1 })));
  const edited = `${file}.edited-${at}`;
  writeFileSync(edited, `${renumbered.join('\n')}\n`);
  return { file: edited, line: at + 2 };
}

const wire = (r: Record<string, unknown>, dir: string, type: string) => r['kind'] === 'wire' && r['dir'] === dir && (r['msg'] as { type?: string }).type === type;

test('a trace recorded from a real download replays cleanly against the actors', { timeout: 90_000 }, () => {
  const r = replay(downloadTrace);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no invariant broken/);
  // Every piece arrives again in the replay and verifies against the synthetic torrent's hashes.
  const pieces = Math.ceil((1024 * 1024 + 1234) / (64 * 1024));
  assert.match(r.stdout, new RegExp(`${pieces}/${pieces} pieces verified`));
  const json = JSON.parse(replay(downloadTrace, '--json').stdout) as { event: string; replay: { peers: number; blocksAnswered: number; checked: Record<string, number> } };
  assert.equal(json.event, 'ok');
  assert.equal(json.replay.peers, 1);
  assert.ok(json.replay.checked['request-unannounced']! > 0);
});

test('the seeder\'s trace replays cleanly too (its requests come back from the fake leecher)', { timeout: 90_000 }, () => {
  const r = replay(seedTrace);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(replay(seedTrace, '--json').stdout) as { replay: { checked: Record<string, number> } };
  assert.ok(json.replay.checked['block-while-choking']! > 0, 'the replayed seeder sent no block');
});

test('a hand-edited trace where actorrent sends a block while choking is reported with its line', { timeout: 30_000 }, () => {
  const edited = insertAfter(seedTrace, (r) => wire(r, 'in', 'interested'), { msg: { type: 'piece', index: 0, begin: 0, block: { length: 16384, sha1: 'a'.repeat(40) } } });
  const r = replay(edited.file, '--check-only');
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`invariant block-while-choking broken at .* line ${edited.line} `));
  assert.equal(replay(edited.file).status, 1);
});

test('a hand-edited trace where actorrent requests a piece the peer never announced is reported with its line', { timeout: 30_000 }, () => {
  const lines = readFileSync(downloadTrace, 'utf8').trimEnd().split('\n');
  // The seeder announced everything with have-all; make it announce nothing instead.
  const at = lines.findIndex((l) => wire(JSON.parse(l) as Record<string, unknown>, 'in', 'have-all'));
  assert.ok(at > 0);
  lines[at] = lines[at]!.replace('{"type":"have-all"}', '{"type":"have-none"}');
  const firstRequest = lines.findIndex((l, i) => i > at && wire(JSON.parse(l) as Record<string, unknown>, 'out', 'request'));
  const edited = `${downloadTrace}.have-none`;
  writeFileSync(edited, `${lines.join('\n')}\n`);
  const r = replay(edited, '--check-only');
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`invariant request-unannounced broken at .* line ${firstRequest + 1} `));
});

test('a damaged trace is refused with the line that is wrong, never a crash', { timeout: 30_000 }, () => {
  const lines = readFileSync(downloadTrace, 'utf8').trimEnd().split('\n');
  const cases: [string, RegExp][] = [
    [[...lines.slice(0, 5), '{"t":1,"seq":', ...lines.slice(5)].join('\n'), /line 6: not JSON/],
    [[lines[0], '{"t":1,"seq":0,"node":"a","kind":"wire","peer":"p","dir":"in","msg":{"type":"bitfield","bitfield":"zz"}}'].join('\n'), /line 2: bitfield message: bitfield must be hex/],
    [[lines[0]!.replace('"version":1', '"version":99'), ...lines.slice(1)].join('\n'), /line 1: meta header: version 99/],
    [lines.slice(1).join('\n'), /line 1: meta header/],
    ['', /no meta header/],
  ];
  for (const [i, [text, expected]] of cases.entries()) {
    const file = `${downloadTrace}.bad-${i}`;
    writeFileSync(file, text);
    const r = replay(file);
    assert.equal(r.status, 1, `case ${i}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
  }
  assert.equal(replay(path.join(payload.root, 'missing.trace')).status, 1);
});

test('--trace to a file that cannot be written is a one-line error, exit 1', { timeout: 30_000 }, () => {
  const r = runCli(['download', payload.torrentFile, '-o', payload.dir('unwritable'), '--port', '0', '--bind', '127.0.0.1', '--trace', path.join(payload.root, 'no', 'such', 'dir', 'x.trace')], { timeoutMs: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot write the trace .*x\.trace/);
});
