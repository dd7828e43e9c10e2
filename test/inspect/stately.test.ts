import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createActor, createMachine } from 'xstate';
import { startStatelyInspector } from '../../src/inspect/stately.js';
import { settleWithin } from '../support/child-output.js';

const machine = createMachine({
  id: 'store',
  initial: 'idle',
  context: { lastPiece: Buffer.alloc(0) as Buffer },
  states: { idle: { on: { STORE: 'writing' } }, writing: {} },
});

test('--inspect relay: prints the URL, hands loopback clients the events (late ones too), no bytes, ids unique across actor systems', { timeout: 20_000 }, async () => {
  const lines: string[] = [];
  const inspector = await startStatelyInspector({ log: (line) => lines.push(line) });
  const received: Record<string, unknown>[] = [];
  let ws: WebSocket | undefined;
  try {
    assert.equal(inspector.url, `http://127.0.0.1:${inspector.port}/`);
    assert.deepEqual(lines, [`inspector: open ${inspector.url} (it loads the Stately inspector from stately.ai)`]);
    // Two root actors, as a session's server and its torrent are: XState numbers both "x:0".
    const a = createActor(machine, { inspect: (e) => inspector.inspect!('one', e) }).start();
    const b = createActor(machine, { inspect: (e) => inspector.inspect!('two', e) }).start();
    a.send({ type: 'STORE', blocks: [Buffer.alloc(16384, 1)] } as never);
    b.stop();

    // Connected after the events: the relay replays them.
    const client = new WebSocket(`ws://127.0.0.1:${inspector.port}/events`);
    ws = client;
    const writing = (e: Record<string, unknown>) => e['type'] === '@xstate.snapshot' && (e['snapshot'] as { value?: unknown }).value === 'writing';
    const sawWriting = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        const event = JSON.parse(data.toString()) as Record<string, unknown>;
        received.push(event);
        if (writing(event)) resolve();
      }),
    );
    await settleWithin(sawWriting, 10_000, () => `no snapshot in writing among ${JSON.stringify(received)}`);
    const actors = received.filter((e) => e['type'] === '@xstate.actor');
    assert.equal(actors.length, 2);
    assert.notEqual(actors[0]!['sessionId'], actors[1]!['sessionId']);
    assert.ok(actors.every((e) => e['name'] === 'store' && typeof e['definition'] === 'string'));
    const store = received.find((e) => e['type'] === '@xstate.event' && (e['event'] as { type: string }).type === 'STORE')!;
    assert.deepEqual(store['event'], { type: 'STORE', blocks: [{ bytes: 16384 }] });
    const snapshot = received.find(writing)!;
    assert.deepEqual((snapshot['snapshot'] as { context: unknown }).context, { lastPiece: { bytes: 0 } });
    assert.ok(!JSON.stringify(received).includes('"type":"Buffer"'));
  } finally {
    ws?.terminate();
    await inspector.close();
  }
});
