import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { churnScenario } from '../../src/sim/scenarios.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { type SimResult, Swarm, runScenario } from '../../src/sim/swarm.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';

/** Runs a scenario and digests every wire message of every peer, both ways, with its simulated time. */
async function digestOf(seed: number): Promise<{ digest: string; messages: number; result: SimResult }> {
  const hash = createHash('sha256');
  let messages = 0;
  const swarm: Swarm = new Swarm(churnScenario({ seed, leechers: 6, leavers: 2, size: 2 * 1024 * 1024 }), {
    observer: {
      sessionOptions: (label) => ({
        wireTap: (_meta, peer) => (direction, message) => {
          messages++;
          const { type } = message;
          const fields =
            message.type === 'piece'
              ? `${message.index}:${message.begin}:${message.block.length}`
              : message.type === 'request' || message.type === 'cancel' || message.type === 'reject'
                ? `${message.index}:${message.begin}:${message.length}`
                : message.type === 'have'
                  ? `${message.index}`
                  : '';
          hash.update(`${swarm.clock.now()} ${label} ${peer.address} ${direction} ${type} ${fields}\n`);
        },
      }),
    },
  });
  const result = await swarm.run();
  return { digest: hash.digest('hex'), messages, result };
}

test('determinism: the same scenario and seed give the same message log; another seed does not', { timeout: 120_000 }, async () => {
  const first = await digestOf(11);
  const second = await digestOf(11);
  assert.equal(first.result.outcome, 'complete');
  assert.ok(first.messages > 1000, `${first.messages} messages`);
  assert.equal(second.digest, first.digest);
  assert.deepEqual(
    second.result.peers.map((p) => [p.name, p.completedAt, p.uploaded]),
    first.result.peers.map((p) => [p.name, p.completedAt, p.uploaded]),
  );
  const other = await digestOf(12);
  assert.notEqual(other.digest, first.digest);
});

/** The scenario recorded by the trace recorder (`--trace`); returns the sha256 of its lines. */
async function traceDigest(seed: number): Promise<{ sha256: string; lines: number; kinds: Set<string> }> {
  const clock = new SimClock();
  const hash = createHash('sha256');
  const kinds = new Set<string>();
  const recorder = createTraceRecorder({
    clock,
    write: (line) => {
      hash.update(`${line}\n`);
      kinds.add((JSON.parse(line) as { kind: string }).kind);
    },
    meta: { command: 'sim', argv: ['test', String(seed)] },
  });
  await runScenario(churnScenario({ seed, leechers: 5, leavers: 2, size: 1024 * 1024 }), {
    clock,
    observer: { sessionOptions: (label) => recorder.forSession(label), torrentAdded: (label, _session, handle) => recorder.attach(label, handle) },
  });
  await recorder.close();
  return { sha256: hash.digest('hex'), lines: recorder.lines, kinds };
}

test('determinism: the same scenario and seed give byte-identical traces (sha256 of the lines)', { timeout: 120_000 }, async () => {
  const first = await traceDigest(21);
  const second = await traceDigest(21);
  assert.ok(first.lines > 500, `${first.lines} trace lines`);
  for (const kind of ['meta', 'wire', 'state', 'verify', 'tracker']) assert.ok(first.kinds.has(kind), `the trace has ${kind} records`);
  assert.equal(second.sha256, first.sha256);
  assert.equal(second.lines, first.lines);
  assert.notEqual((await traceDigest(22)).sha256, first.sha256);
});
