import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encryptionScenario } from '../../src/sim/scenarios.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { type SimResult, runScenario } from '../../src/sim/swarm.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';

interface Line {
  node: string;
  kind: string;
  peer: string | null;
  dir: 'in' | 'out' | null;
  msg: { address?: string; encryption?: string };
}

async function run(): Promise<{ result: SimResult; lines: string[] }> {
  const clock = new SimClock();
  const lines: string[] = [];
  const recorder = createTraceRecorder({ clock, meta: { command: 'sim', argv: ['encryption'] }, write: (line) => lines.push(line) });
  const result = await runScenario(encryptionScenario(), {
    clock,
    observer: { sessionOptions: (label) => recorder.forSession(label), torrentAdded: (label, _session, handle) => recorder.attach(label, handle) },
  });
  await recorder.close();
  return { result, lines };
}

test('scenario 10: peers that require, prefer and disable encryption share a swarm; the trace names each connection\'s encryption; same seed, same trace', { timeout: 180_000 }, async () => {
  const first = await run();
  assert.equal(first.result.outcome, 'complete');
  for (const peer of first.result.peers.filter((p) => p.role === 'leecher')) assert.equal(peer.exact, true, `${peer.name} holds the payload`);

  const connections = first.lines.map((l) => JSON.parse(l) as Line).filter((l) => l.kind === 'connection');
  const nameOf = (address: string | undefined) => first.result.peers.find((p) => address?.startsWith(`${p.address}:`))?.name ?? address;
  const seen = connections.map((c) => `${c.node} ${c.dir === 'out' ? '→' : '←'} ${nameOf(c.msg.address)}: ${c.msg.encryption ?? 'plaintext'}`);
  // Every connection of a leecher that requires encryption is RC4; every one of the leecher that disables it is plaintext.
  for (const line of seen.filter((l) => l.startsWith('leecher-1-require') || l.startsWith('leecher-2-require'))) assert.match(line, /: rc4$/, line);
  for (const line of seen.filter((l) => l.startsWith('leecher-4-disable'))) assert.match(line, /: plaintext$/, line);
  // A require and the disable leecher may dial each other, but the listening side refuses the
  // handshake before its torrent sees it: no incoming connection between them is ever recorded.
  assert.ok(!seen.some((l) => /^leecher-[12]-require ← leecher-4|^leecher-4-disable ← leecher-[12]/.test(l)), seen.join('\n'));
  // The leecher that prefers encryption: RC4 with the seeder, plaintext with the one that disables it (after the fallback).
  assert.ok(seen.some((l) => /^leecher-3-prefer → seeder: rc4$/.test(l)), seen.join('\n'));
  assert.ok(seen.some((l) => /^leecher-3-prefer [→←] leecher-4-disable: plaintext$/.test(l)), seen.join('\n'));

  const second = await run();
  assert.equal(second.lines.length, first.lines.length);
  assert.ok(second.lines.every((line, i) => line === first.lines[i]), 'byte-identical trace');
});
