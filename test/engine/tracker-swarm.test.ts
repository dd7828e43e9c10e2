import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '../../src/session.js';
import { startHttpTracker } from '../actors/trackers.js';
import { makePayload, startSession, withTimeout } from './swarm-helpers.js';

test('a seeder and two leechers find each other through an HTTP tracker: started, completed and stopped are announced', async () => {
  // A minimal tracker: every peer that announced (on 127.0.0.1) is given to the others.
  const known = new Map<number, boolean>();
  const tracker = await startHttpTracker((request) => {
    if (request.event === 'stopped') known.delete(request.port);
    else known.set(request.port, request.left === 0);
    return { interval: 60, peers: [...known.keys()].filter((p) => p !== request.port).map((port) => ({ host: '127.0.0.1', port })) };
  });
  const payload = await makePayload({ multiFile: false, size: 3 * 1024 * 1024, pieceLength: 32768, trackers: [tracker.url] });
  const sessions: Session[] = [];
  try {
    const seederSession = await startSession();
    sessions.push(seederSession);
    const seeder = seederSession.add(payload.meta, { downloadDir: payload.seedDir, seed: true });
    await withTimeout(seeder.whenComplete(), 10_000, 'seeder check');
    const leechers = [];
    for (let i = 0; i < 2; i++) {
      const s = await startSession();
      sessions.push(s);
      leechers.push(s.add(payload.meta, { downloadDir: payload.dir(`leech-${i}`) }));
    }
    await withTimeout(Promise.all(leechers.map((l) => l.whenComplete())), 30_000, 'both downloads');
    payload.assertSame(payload.dir('leech-0'));
    payload.assertSame(payload.dir('leech-1'));
    await Promise.all(sessions.map((s) => s.close()));

    const byPort = (port: number) => tracker.requests.filter((r) => r.port === port).map((r) => r.event ?? 'none');
    const seederEvents = byPort(sessions[0]!.port);
    assert.equal(seederEvents[0], 'started');
    assert.ok(!seederEvents.includes('completed'), 'a seeder that started complete never announces completed');
    assert.equal(seederEvents.at(-1), 'stopped');
    for (const s of sessions.slice(1)) {
      const events = byPort(s.port);
      assert.equal(events[0], 'started', events.join(','));
      assert.ok(events.includes('completed'), events.join(','));
      assert.equal(events.at(-1), 'stopped', events.join(','));
    }
    const first = tracker.requests[0]!;
    assert.deepEqual(first.infoHash, payload.meta.infoHash);
    assert.equal(first.compact, true);
    assert.equal(first.left, 0);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await tracker.close();
    payload.cleanup();
  }
});
