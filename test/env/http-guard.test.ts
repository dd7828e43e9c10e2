/**
 * The HTTP connection rules on a real node:http server on 127.0.0.1, with raw TCP clients (from
 * other loopback addresses where the per-address cap is tested) and simulated time, so each deadline
 * is checked to the millisecond.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { addressGroup } from '../../src/env/address-group.js';
import { type HttpGuard, type HttpGuardEvent, type HttpGuardOptions, guardHttpServer } from '../../src/env/http-guard.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { until } from '../support/until.js';

const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const PARTIAL = 'GET /announce?info_hash=';

interface Harness {
  server: http.Server;
  guard: HttpGuard;
  clock: InstanceType<typeof SteppingClock>;
  events: HttpGuardEvent[];
  port: number;
  /** Responses held back by `GET /hold`, in arrival order. */
  held: http.ServerResponse[];
  close(): Promise<void>;
}

/** A guarded server: `GET /hold` is answered only when the test ends a held response; anything else at once. */
async function guarded(options: HttpGuardOptions): Promise<Harness> {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/hold') return void held.push(res);
    res.end('ok');
  });
  const clock = new SteppingClock(1_000_000);
  const events: HttpGuardEvent[] = [];
  const guard = guardHttpServer(server, { clock, onEvent: (e) => events.push(e), ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    guard,
    clock,
    events,
    held,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Client {
  readonly closed: boolean;
  /** Everything received so far. */
  readonly text: string;
  whenClosed: Promise<void>;
  send(data: string): void;
  /** Resolves once `count` responses have arrived (counted by their status lines). */
  responses(count: number): Promise<void>;
  destroy(): void;
}

async function connect(port: number, first: string, localAddress = '127.0.0.1'): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  let text = '';
  let closed = false;
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const whenClosed = new Promise<void>((resolve) => socket.on('close', () => ((closed = true), resolve())));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(first);
  return {
    get closed() {
      return closed;
    },
    get text() {
      return text;
    },
    whenClosed,
    send: (data) => socket.write(data),
    responses: (count) => until(() => (text.match(/HTTP\/1\.1 200/g) ?? []).length >= count, { what: `${count} responses`, timeoutMs: 3000 }).then(() => undefined),
    destroy: () => socket.destroy(),
  };
}

/** The server has seen this many connections open (the guard counts them on 'connection'). */
const openCount = (h: Harness, n: number) => until(() => h.guard.stats().open === n, { what: () => `${n} open (${JSON.stringify(h.guard.stats())})`, timeoutMs: 3000 });

/** Waits for a client to be closed by the server, within a bound. */
const closedWithin = (c: Client, ms = 3000) => until(() => c.closed, { what: 'the server to close the connection', timeoutMs: ms });

test('headers must be complete exactly headersTimeoutMs after connect; complete ones are served', async () => {
  const h = await guarded({ headersTimeoutMs: 5000 });
  try {
    const slow = await connect(h.port, PARTIAL);
    await openCount(h, 1);
    const prompt = await connect(h.port, PARTIAL);
    await openCount(h, 2);
    await h.clock.advance(4999);
    prompt.send(' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await prompt.responses(1);
    await sleep(50);
    assert.equal(slow.closed, false, 'still open 1 ms before its deadline');
    assert.deepEqual(h.guard.stats(), { open: 2, evicted: 0, refused: 0, timedOut: 0 });
    await h.clock.advance(1);
    await closedWithin(slow);
    assert.equal(slow.text, '', 'closed without an answer');
    assert.equal(prompt.closed, false, 'the connection that finished its headers is untouched');
    assert.deepEqual(h.guard.stats(), { open: 1, evicted: 0, refused: 0, timedOut: 1 });
    assert.deepEqual(h.events, [{ type: 'timed-out', address: '127.0.0.1', reason: 'no complete headers within 5000 ms' }]);
  } finally {
    await h.close();
  }
});

test('a keep-alive connection is closed idleTimeoutMs after its last response, and each request restarts the wait', async () => {
  const h = await guarded({ headersTimeoutMs: 1000, idleTimeoutMs: 15_000 });
  try {
    const c = await connect(h.port, REQUEST);
    await c.responses(1);
    assert.match(c.text, /Keep-Alive: timeout=15/, 'node advertises the idle timeout');
    await h.clock.advance(14_000);
    c.send(REQUEST);
    await c.responses(2);
    await h.clock.advance(14_999);
    await sleep(50);
    assert.equal(c.closed, false, 'the second response restarted the 15 s');
    await h.clock.advance(1);
    await closedWithin(c);
    assert.deepEqual(h.guard.stats(), { open: 0, evicted: 0, refused: 0, timedOut: 1 });
    assert.deepEqual(h.events, [{ type: 'timed-out', address: '127.0.0.1', reason: 'idle for 15000 ms' }]);
  } finally {
    await h.close();
  }
});

test('at the connection cap a new connection evicts the oldest idle keep-alive one first, then the oldest awaiting headers', async () => {
  const h = await guarded({ maxConnections: 3 });
  try {
    const oldestIncomplete = await connect(h.port, PARTIAL);
    await openCount(h, 1);
    const keepAlive = await connect(h.port, REQUEST);
    await keepAlive.responses(1);
    const newerIncomplete = await connect(h.port, PARTIAL);
    await openCount(h, 3);

    const fourth = await connect(h.port, PARTIAL);
    await closedWithin(keepAlive);
    assert.equal(oldestIncomplete.closed, false, 'an idle connection goes before any incomplete one, however old');
    const fifth = await connect(h.port, PARTIAL);
    await closedWithin(oldestIncomplete);
    await sleep(50);
    assert.deepEqual([newerIncomplete.closed, fourth.closed, fifth.closed], [false, false, false], 'only the oldest incomplete one went');
    assert.deepEqual(h.guard.stats(), { open: 3, evicted: 2, refused: 0, timedOut: 0 });
    assert.deepEqual(
      h.events.map((e) => e.reason),
      ['connection cap (3): the oldest idle keep-alive connection', 'connection cap (3): the oldest connection awaiting its headers'],
    );
  } finally {
    await h.close();
  }
});

test('per-address cap: a new connection evicts the oldest of its own address, never another address', async () => {
  const h = await guarded({ maxConnections: 100, maxPerAddress: 2 });
  try {
    const other = await connect(h.port, PARTIAL, '127.0.0.3');
    await openCount(h, 1);
    const first = await connect(h.port, PARTIAL, '127.0.0.2');
    await openCount(h, 2);
    const second = await connect(h.port, PARTIAL, '127.0.0.2');
    await openCount(h, 3);
    const third = await connect(h.port, PARTIAL, '127.0.0.2');
    await closedWithin(first);
    await sleep(50);
    assert.deepEqual([other.closed, second.closed, third.closed], [false, false, false]);
    assert.deepEqual(h.guard.stats(), { open: 3, evicted: 1, refused: 0, timedOut: 0 });
    assert.deepEqual(h.events, [{ type: 'evicted', address: '127.0.0.2', reason: 'per-address cap (2) for 127.0.0.2: the oldest connection awaiting its headers' }]);
  } finally {
    await h.close();
  }
});

test('a new connection is refused only when every connection is in a request; a finished response makes room again', async () => {
  const h = await guarded({ maxConnections: 2, maxPerAddress: 2 });
  try {
    const hold = 'GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const a = await connect(h.port, hold);
    const b = await connect(h.port, hold, '127.0.0.2');
    await until(() => h.held.length === 2, { what: 'two requests in progress', timeoutMs: 3000 });

    const refused = await connect(h.port, PARTIAL, '127.0.0.3');
    await closedWithin(refused);
    assert.deepEqual(h.guard.stats(), { open: 2, evicted: 0, refused: 1, timedOut: 0 });
    assert.deepEqual(h.events, [{ type: 'refused', address: '127.0.0.3', reason: 'connection cap (2): every connection is in a request' }]);
    await h.clock.advance(60_000);
    assert.equal(h.guard.stats().timedOut, 0, 'a request in progress has no header or idle deadline');

    h.held[0]!.end('done');
    await a.responses(1);
    const next = await connect(h.port, PARTIAL, '127.0.0.3');
    await closedWithin(a);
    await sleep(50);
    assert.deepEqual([b.closed, next.closed], [false, false]);
    assert.deepEqual(h.guard.stats(), { open: 2, evicted: 1, refused: 1, timedOut: 0 });
  } finally {
    await h.close();
  }
});

test('per-address cap with every connection of that address in a request: refused, while other addresses still connect', async () => {
  const h = await guarded({ maxConnections: 10, maxPerAddress: 1 });
  try {
    await connect(h.port, 'GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '127.0.0.2');
    await until(() => h.held.length === 1, { what: 'a request in progress', timeoutMs: 3000 });
    const again = await connect(h.port, PARTIAL, '127.0.0.2');
    await closedWithin(again);
    const elsewhere = await connect(h.port, REQUEST, '127.0.0.3');
    await elsewhere.responses(1);
    assert.deepEqual(h.guard.stats(), { open: 2, evicted: 0, refused: 1, timedOut: 0 });
    assert.equal(h.events[0]?.reason, 'per-address cap (1) for 127.0.0.2: every connection is in a request');
  } finally {
    await h.close();
  }
});

test('an upgraded socket stays counted but is never timed out or evicted; closing the server stops the timer', async () => {
  const h = await guarded({ maxConnections: 2, headersTimeoutMs: 1000 });
  try {
    h.server.on('upgrade', (_req, socket: net.Socket) => {
      h.guard.upgraded(socket);
      // Ours now: node no longer ends it when the client does.
      socket.on('end', () => socket.destroy());
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
    });
    const upgraded = await connect(h.port, 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
    await until(() => upgraded.text.includes('101'), { what: 'the upgrade', timeoutMs: 3000 });
    const incomplete = await connect(h.port, PARTIAL);
    await openCount(h, 2);
    const third = await connect(h.port, PARTIAL);
    await closedWithin(incomplete);
    await h.clock.advance(10_000);
    await closedWithin(third);
    await sleep(50);
    assert.equal(upgraded.closed, false);
    assert.deepEqual(h.guard.stats(), { open: 1, evicted: 1, refused: 0, timedOut: 1 });
    upgraded.destroy();
    await openCount(h, 0);
    await connect(h.port, PARTIAL);
    await openCount(h, 1);
    assert.equal(h.clock.pending, 1, 'one timer for the waiting connection');
  } finally {
    await h.close();
  }
  assert.equal(h.clock.pending, 0, 'closing the server cleared the timer');
});

test('per-address groups: IPv4 as is (also IPv4-mapped), IPv6 by /64', () => {
  assert.equal(addressGroup('127.0.0.2'), '127.0.0.2');
  assert.equal(addressGroup('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(addressGroup('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(addressGroup('2001:db8:1:2::9'), '2001:db8:1:2::/64');
  assert.equal(addressGroup('fe80::1%eth0'), 'fe80::/64');
  assert.equal(addressGroup(''), '');
});

test('options: bad numbers are refused', () => {
  const server = http.createServer();
  assert.throws(() => guardHttpServer(server, { maxConnections: 0 }), /maxConnections must be a positive integer/);
  assert.throws(() => guardHttpServer(server, { headersTimeoutMs: 1.5 }), /headersTimeoutMs/);
});
