import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { seededRng } from '../../src/env/rng.js';
import { MAX_LINE_CHARS, TraceError, parseTrace, readTrace } from '../../src/trace/read-trace.js';
import { checkRecorded, replayTrace } from '../../src/trace/replay.js';

/** A trace file may come from anywhere: every line is checked, and a bad one is named. */

const golden = readFileSync(fileURLToPath(new URL('../fixtures/trace/one-seeder-one-leecher.trace', import.meta.url)), 'utf8');
const [header] = golden.split('\n');
const record = (fields: Record<string, unknown>) => JSON.stringify({ t: 1, seq: 0, node: 'n', kind: 'wire', peer: 'p#1', dir: 'in', msg: { type: 'choke' }, ...fields });

function refuses(lines: string[], expected: RegExp, line?: number): void {
  assert.throws(
    () => parseTrace(lines.join('\n')),
    (err: unknown) => err instanceof TraceError && expected.test(err.message) && (line === undefined || err.line === line),
    `expected ${String(expected)}`,
  );
}

test('each kind of damage is refused with its line', () => {
  refuses([header!, '[1,2]'], /line 2: not a JSON object/, 2);
  refuses([header!, '', record({})], /line 2: empty line/);
  refuses([header!, 'x'.repeat(MAX_LINE_CHARS + 1)], /longer than/);
  refuses([header!, record({ kind: 'gossip' })], /unknown kind "gossip"/);
  refuses([header!, record({ peer: null })], /needs a peer/);
  refuses([header!, record({ dir: 'sideways' })], /dir must be/);
  refuses([header!, record({ t: -1 })], /t must be/);
  refuses([header!, record({ t: 5 }), record({ t: 4, seq: 1 })], /line 3: t goes back from 5 to 4/, 3);
  refuses([header!, record({}), record({})], /line 3: seq 0 does not follow 0/);
  refuses([header!, record({ msg: { type: 'have', index: -1 } })], /have message: index must be an integer/);
  refuses([header!, record({ msg: { type: 'request', index: 1, begin: 0, length: 2 ** 40 } })], /length must be/);
  refuses([header!, record({ msg: { type: 'piece', index: 1, begin: 0, block: 'raw' } })], /block must be \{length, sha1\}/);
  refuses([header!, record({ msg: { type: 'extended', id: 300, payload: '' } })], /id must be 0-255/);
  refuses([header!, record({ msg: { type: 'handshake', infoHash: 'xyz', peerId: '00', reserved: '00', flags: {} } })], /infoHash must be 40 hex digits/);
  refuses([header!, record({ msg: { type: 'teleport' } })], /unknown message type/);
  refuses([header!, record({ msg: null })], /msg must be an object/);
  refuses([header!.replace('"pieceCount":4', '"pieceCount":5')], /pieceCount 5 does not match/);
  refuses([header!.replace('"pipelineDepth":128', '"pipelineDepth":0')], /pipelineDepth must be a positive integer/);
  refuses(['{"kind":"wire"}'], /line 1: meta header/, 1);
});

test('mutated traces are refused with a TraceError or read; checking and replaying what is read never crashes', { timeout: 60_000 }, async () => {
  const rng = seededRng(42);
  const lines = golden.trimEnd().split('\n');
  let read = 0;
  let replayed = 0;
  for (let i = 0; i < 300; i++) {
    const copy = [...lines];
    const at = 1 + Math.floor(rng() * (copy.length - 1));
    const line = copy[at]!;
    const pos = Math.floor(rng() * line.length);
    const mutations = [
      () => line.slice(0, pos) + line.slice(pos + 1),
      () => line.slice(0, pos) + String.fromCharCode(32 + Math.floor(rng() * 95)) + line.slice(pos + 1),
      () => line.replace(/\d+/, String(Math.floor(rng() * 2 ** 33))),
      () => line.replace(/"(in|out)"/, '"in"'),
    ];
    copy[at] = mutations[Math.floor(rng() * mutations.length)]!();
    let trace;
    try {
      trace = parseTrace(copy.join('\n'));
    } catch (err) {
      assert.ok(err instanceof TraceError, `mutation ${i} threw ${String(err)}`);
      continue;
    }
    read++;
    checkRecorded(trace);
    // Replaying is slower: a sample of what was read.
    if (read % 15 === 0) {
      replayed++;
      await replayTrace(trace, { node: 'leecher-1', graceMs: 100 }).catch((err: unknown) => assert.ok(err instanceof TraceError, String(err)));
    }
  }
  assert.ok(replayed > 3, `only ${read} mutated traces were readable`);
});

test('a trace file is read line by line with bounded memory: a line without end is refused at the limit, CRLF is read', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-trace-'));
  try {
    // 40 MiB and no newline after the header: refused once the line passes the limit, not gathered whole.
    const endless = path.join(dir, 'endless.trace');
    writeFileSync(endless, `${header}\n{"t":0,"seq":0,"node":"n","kind":"wire","peer":"p#1","dir":"in","msg":{"type":"${'x'.repeat(40 << 20)}`);
    await assert.rejects(readTrace(endless), (err: unknown) => err instanceof TraceError && err.line === 2 && /longer than/.test(err.message));
    const crlf = path.join(dir, 'crlf.trace');
    writeFileSync(crlf, golden.split('\n').filter((l) => l !== '').join('\r\n'));
    const read = await readTrace(crlf);
    assert.equal(read.records.length, golden.split('\n').filter((l) => l !== '').length - 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
