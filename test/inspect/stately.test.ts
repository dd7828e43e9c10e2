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

test('--inspect relay: a late client still learns every live actor after more than 200 events of chatter, and not the stopped ones', { timeout: 20_000 }, async () => {
  const inspector = await startStatelyInspector({ log: () => undefined });
  const toggle = createMachine({ id: 'chatty', initial: 'a', states: { a: { on: { FLIP: 'b' } }, b: { on: { FLIP: 'a' } } } });
  let ws: WebSocket | undefined;
  try {
    const quiet = createActor(machine, { inspect: (e) => inspector.inspect!('quiet', e) }).start();
    const gone = createActor(machine, { inspect: (e) => inspector.inspect!('gone', e) }).start();
    gone.stop();
    const chatty = createActor(toggle, { inspect: (e) => inspector.inspect!('chatty', e) }).start();
    for (let i = 0; i < 300; i++) chatty.send({ type: 'FLIP' });

    const received: Record<string, unknown>[] = [];
    const client = new WebSocket(`ws://127.0.0.1:${inspector.port}/events`);
    ws = client;
    const sawLast = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        received.push(JSON.parse(data.toString()) as Record<string, unknown>);
        if (received.length >= 202) resolve();
      }),
    );
    await settleWithin(sawLast, 10_000, () => `only ${received.length} events`);
    const announced = received.filter((e) => e['type'] === '@xstate.actor').map((e) => String(e['sessionId']));
    assert.deepEqual(announced.map((id) => id.split(' ')[0]).sort(), ['chatty', 'quiet']);
    assert.equal(received.length, 202, 'the two live actors and the 200 recent events');
    quiet.stop();
    chatty.stop();
  } finally {
    ws?.terminate();
    await inspector.close();
  }
});
