import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseTrace, TraceError } from '../../src/trace/read-trace.js';
import { replayTrace } from '../../src/trace/replay.js';

/** Replay against the real actors, in-process, from the golden trace of one seeder and one leecher. */

const golden = readFileSync(fileURLToPath(new URL('../fixtures/trace/one-seeder-one-leecher.trace', import.meta.url)), 'utf8');
const lines = golden.trimEnd().split('\n');
const parse = (l: string) => JSON.parse(l) as Record<string, unknown>;

test('a violation by the replayed actorrent itself is found and tied to the trace line just replayed', { timeout: 30_000 }, async () => {
  // The header now claims a pipeline of 2, and the leecher's own requests are gone from the trace:
  // the recording passes, but the replayed leecher (whose pipeline is deeper) breaks the claim.
  const meta = { ...parse(lines[0]!), pipelineDepth: 2 };
  const kept = lines.slice(1).filter((l) => {
    const r = parse(l);
    return !(r['node'] === 'leecher-1' && r['dir'] === 'out' && (r['msg'] as { type: string }).type === 'request');
  });
  const trace = parseTrace([JSON.stringify(meta), ...kept].join('\n'));
  const result = await replayTrace(trace, { node: 'leecher-1' });
  assert.equal(result.violation?.phase, 'replay');
  assert.equal(result.violation?.invariant, 'pipeline-depth');
  // The unchoke that let the leecher request.
  const unchoke = trace.records.find(({ record }) => record.node === 'leecher-1' && record.dir === 'in' && record.msg['type'] === 'unchoke');
  assert.equal(result.violation?.line, unchoke?.line);
});

test('replay refuses what it cannot run: no torrent, an unknown node, a time beyond its limit, a bad address', { timeout: 30_000 }, async () => {
  const meta = parse(lines[0]!);
  const tracker = parseTrace(JSON.stringify({ ...meta, infoHash: null, length: null, pieceLength: null, pieceCount: null }));
  await assert.rejects(replayTrace(tracker), (err: unknown) => err instanceof TraceError && /describes no torrent/.test(err.message));
  await assert.rejects(replayTrace(parseTrace(golden), { node: 'nobody' }), /no node "nobody"/);
  const late = `${lines[0]}\n{"t":1e12,"seq":0,"node":"n","kind":"wire","peer":"1.2.3.4:5#1","dir":"in","msg":{"type":"have-all"}}\n`;
  await assert.rejects(replayTrace(parseTrace(late)), (err: unknown) => err instanceof TraceError && err.line === 2);
  const badAddress = `${lines[0]}\n{"t":1,"seq":0,"node":"n","kind":"connection","peer":"x#1","dir":"in","msg":{"address":"nowhere"}}\n{"t":2,"seq":1,"node":"n","kind":"wire","peer":"x#1","dir":"in","msg":{"type":"have-all"}}\n`;
  await assert.rejects(replayTrace(parseTrace(badAddress)), /line 2: bad peer address/);
  // Checking only never runs actorrent, even for a trace without a torrent.
  assert.equal((await replayTrace(tracker, { checkOnly: true })).violation, undefined);
});
