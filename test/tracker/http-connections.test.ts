/**
 * The tracker's HTTP connection rules on real sockets (127.0.0.1): its options reach the guard,
 * keep-alive still serves several announces on one connection, and the counters come out of
 * RunningTracker. The rules themselves are tested in test/env/http-guard.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseAnnounceResponse } from '../../src/protocol/tracker/index.js';
import { startTracker } from '../../src/tracker-server.js';
import { until } from '../support/until.js';
import { announceQuery } from './core-helpers.js';
import { httpGet } from './udp-client.js';

function rawConnection(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
  let text = '';
  let closedAt: number | undefined;
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = performance.now()));
  return {
    socket,
    get text() {
      return text;
    },
    get closedAt() {
      return closedAt;
    },
  };
}

test('tracker over HTTP: keep-alive serves announce after announce; at the cap the idle one is evicted; slow headers are cut at the set time; counted', async () => {
  const tracker = await startTracker({ host: '127.0.0.1', port: 0, udp: false, connections: { headersTimeoutMs: 500, maxConnections: 3 } });
  try {
    const keepAlive = rawConnection(tracker.port);
    const request = (peer: number) => `GET /announce?${announceQuery({ peer, port: 7000 + peer })} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    keepAlive.socket.write(request(1));
    await until(() => /\r\n\r\nd8:/.test(keepAlive.text), { what: 'the first announce answered', timeoutMs: 3000 });
    keepAlive.socket.write(request(2));
    await until(() => (keepAlive.text.match(/HTTP\/1\.1 200 OK/g) ?? []).length === 2, { what: 'the second announce on the same connection', timeoutMs: 3000 });
    assert.match(keepAlive.text, /Keep-Alive: timeout=15/);

    // The idle keep-alive connection and two incomplete ones fill the cap of 3: an announce on a new connection still gets through.
    const started = performance.now();
    const incomplete = [rawConnection(tracker.port), rawConnection(tracker.port)];
    for (const c of incomplete) c.socket.write('GET /announce?info_hash=');
    await until(() => tracker.httpConnections()?.open === 3, { what: '3 connections open', timeoutMs: 3000 });
    const reply = await httpGet(`${tracker.announceUrl}?${announceQuery({ peer: 3, port: 7003 })}`);
    assert.equal(parseAnnounceResponse(reply.body).type, 'success');
    await until(() => keepAlive.closedAt !== undefined, { what: 'the idle keep-alive connection evicted first', timeoutMs: 3000 });
    assert.deepEqual(
      incomplete.map((c) => c.closedAt),
      [undefined, undefined],
    );
    assert.deepEqual({ ...tracker.httpConnections(), open: undefined }, { open: undefined, evicted: 1, refused: 0, timedOut: 0 });

    await until(() => incomplete.every((c) => c.closedAt !== undefined), { what: 'the incomplete connections timed out', timeoutMs: 3000 });
    for (const c of incomplete) {
      const after = c.closedAt! - started;
      assert.ok(after >= 490 && after < 2000, `closed after ${after.toFixed(0)} ms, for a 500 ms headers timeout`);
      assert.equal(c.text, '', 'closed without an answer');
    }
    assert.deepEqual(tracker.httpConnections(), { open: 0, evicted: 1, refused: 0, timedOut: 2 });
  } finally {
    await tracker.stop();
  }
});
