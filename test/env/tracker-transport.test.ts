import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { TrackerTransportError, createTrackerTransport } from '../../src/env/tracker-transport.js';

// Real sockets on loopback; every server and socket opened here is closed by the test that made it.

const transport = createTrackerTransport();
const MIB = 1024 * 1024;

async function httpServer(handler: http.RequestListener): Promise<{ base: string; server: http.Server; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port with nothing listening on it (TCP or UDP), found by binding and closing. */
async function closedTcpPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function udpServer(
  type: 'udp4' | 'udp6',
  address: string,
  onMessage: (socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void,
): Promise<{ port: number; socket: dgram.Socket; close: () => Promise<void> }> {
  const socket = dgram.createSocket(type);
  socket.on('message', (msg, rinfo) => onMessage(socket, msg, rinfo));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return {
    port: socket.address().port,
    socket,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

async function rejection(promise: Promise<unknown>): Promise<TrackerTransportError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TrackerTransportError, `expected a TrackerTransportError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), 'one-line message');
    return error;
  }
  assert.fail('expected the request to fail');
}

const httpOpts = { timeoutMs: 2000, maxBytes: 2 * MIB };

test('httpGet returns the body of a 200 reply and sends no keep-alive', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const srv = await httpServer((req, res) => {
    seen.push(req.headers);
    res.end(`you asked for ${req.url}`);
  });
  try {
    const body = await transport.httpGet(`${srv.base}/announce?info_hash=%00%FF`, httpOpts);
    assert.equal(body.toString(), 'you asked for /announce?info_hash=%00%FF');
    assert.equal(seen[0]?.connection, 'close');
  } finally {
    await srv.close();
  }
});

test('httpGet follows up to 3 redirects, relative or absolute, and refuses a 4th', async () => {
  const srv = await httpServer((req, res) => {
    const hop = Number(/hop=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    const limit = Number(/limit=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    if (hop < limit) {
      const next = `/announce?hop=${hop + 1}&limit=${limit}`;
      // Alternate relative and absolute Location headers.
      res.writeHead(hop % 2 === 0 ? 302 : 301, { location: hop % 2 === 0 ? next : `http://${req.headers.host}${next}` });
      res.end();
      return;
    }
    res.end(`landed at hop ${hop}`);
  });
  try {
    const body = await transport.httpGet(`${srv.base}/announce?hop=0&limit=3`, httpOpts);
    assert.equal(body.toString(), 'landed at hop 3');
    const error = await rejection(transport.httpGet(`${srv.base}/announce?hop=0&limit=4`, httpOpts));
    assert.equal(error.code, 'too-many-redirects');
    assert.equal(error.message, `tracker ${srv.base}/announce: more than 3 redirects`);
  } finally {
    await srv.close();
  }
});

test('httpGet: connection refused is a one-line error naming the tracker without its query', async () => {
  const port = await closedTcpPort();
  const error = await rejection(transport.httpGet(`http://127.0.0.1:${port}/announce?passkey=secret`, httpOpts));
  assert.equal(error.code, 'refused');
  assert.equal(error.message, `tracker http://127.0.0.1:${port}/announce: connection refused`);
});

test('httpGet refuses a body whose Content-Length is over maxBytes without reading it', async () => {
  let sent = 0;
  const srv = await httpServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(3 * MIB) });
    // Send only a little: a client that waited for the whole body would hang until the timeout.
    res.write(Buffer.alloc(1024));
    sent += 1024;
  });
  try {
    const error = await rejection(transport.httpGet(`${srv.base}/announce`, httpOpts));
    assert.equal(error.code, 'too-large');
    assert.match(error.message, /larger than the 2097152-byte limit/);
    assert.equal(sent, 1024);
  } finally {
    await srv.close();
  }
});

test('httpGet stops reading an endless chunked body as soon as it passes maxBytes', async () => {
  let written = 0;
  let clientGone = false;
  const srv = await httpServer((_req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!clientGone && written < 64 * MIB) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => (clientGone = true));
    pump();
  });
  try {
    const error = await rejection(transport.httpGet(`${srv.base}/announce`, { timeoutMs: 5000, maxBytes: 256 * 1024 }));
    assert.equal(error.code, 'too-large');
    // The server was cut off long before its 64 MiB: the client did not keep reading.
    assert.ok(written < 16 * MIB, `server wrote ${written} bytes`);
  } finally {
    await srv.close();
  }
});

test('httpGet times out when the tracker accepts but never answers', async () => {
  const srv = await httpServer(() => {
    /* never answers */
  });
  try {
    const started = Date.now();
    const error = await rejection(transport.httpGet(`${srv.base}/announce?x=1`, { timeoutMs: 200, maxBytes: MIB }));
    assert.equal(error.code, 'timeout');
    assert.equal(error.message, `tracker ${srv.base}/announce: timed out after 200 ms`);
    assert.ok(Date.now() - started < 2000);
  } finally {
    await srv.close();
  }
});

test('httpGet: a non-200 status is an error; an abort signal cancels', async () => {
  const srv = await httpServer((req, res) => {
    if (req.url?.startsWith('/missing')) {
      res.writeHead(404, 'Not Found');
      res.end('nope');
    }
    // Anything else hangs until aborted.
  });
  try {
    const notFound = await rejection(transport.httpGet(`${srv.base}/missing`, httpOpts));
    assert.equal(notFound.code, 'http-status');
    assert.equal(notFound.message, `tracker ${srv.base}/missing: HTTP 404 Not Found`);

    const controller = new AbortController();
    const pending = transport.httpGet(`${srv.base}/hang`, { ...httpOpts, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const aborted = await rejection(pending);
    assert.equal(aborted.code, 'aborted');
  } finally {
    await srv.close();
  }
});

test('httpGet and udpRequest send from localAddress', async () => {
  const bound = createTrackerTransport({ localAddress: '127.0.0.2' });
  const srv = await httpServer((req, res) => res.end(req.socket.remoteAddress));
  const udp = await udpServer('udp4', '127.0.0.1', (socket, _msg, rinfo) => socket.send(rinfo.address, rinfo.port, rinfo.address));
  try {
    assert.equal((await bound.httpGet(`${srv.base}/`, httpOpts)).toString(), '127.0.0.2');
    const reply = await bound.udpRequest('127.0.0.1', udp.port, Buffer.from('hi'), { timeoutMs: 1000 });
    assert.equal(reply.data.toString(), '127.0.0.2');
    const wrongFamily = await rejection(bound.udpRequest('::1', udp.port, Buffer.from('hi'), { timeoutMs: 1000 }));
    assert.equal(wrongFamily.code, 'unreachable');
  } finally {
    await srv.close();
    await udp.close();
  }
});

test('udpRequest returns the first accepted datagram from the tracker, with its family', async () => {
  const udp = await udpServer('udp4', '127.0.0.1', (socket, msg, rinfo) => {
    // A stray reply first, then the answer.
    socket.send(Buffer.from('stray'), rinfo.port, rinfo.address);
    socket.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address);
  });
  try {
    const first = await transport.udpRequest('127.0.0.1', udp.port, Buffer.from('ping'), { timeoutMs: 1000 });
    assert.equal(first.data.toString(), 'stray');
    assert.equal(first.family, 'IPv4');
    const accepted = await transport.udpRequest('127.0.0.1', udp.port, Buffer.from('ping'), {
      timeoutMs: 1000,
      accept: (data) => data.toString().startsWith('echo:'),
    });
    assert.equal(accepted.data.toString(), 'echo:ping');
  } finally {
    await udp.close();
  }
});

test('udpRequest times out when nothing (acceptable) comes back', async () => {
  const udp = await udpServer('udp4', '127.0.0.1', (socket, _msg, rinfo) => socket.send(Buffer.from('wrong'), rinfo.port, rinfo.address));
  try {
    const error = await rejection(
      transport.udpRequest('127.0.0.1', udp.port, Buffer.from('ping'), { timeoutMs: 150, accept: () => false }),
    );
    assert.equal(error.code, 'timeout');
    assert.equal(error.message, `tracker udp://127.0.0.1:${udp.port}: timed out after 150 ms`);
  } finally {
    await udp.close();
  }
});

test('udpRequest: a closed port is "connection refused" (ICMP port unreachable)', async () => {
  const probe = await udpServer('udp4', '127.0.0.1', () => {});
  const port = probe.port;
  await probe.close();
  const error = await rejection(transport.udpRequest('127.0.0.1', port, Buffer.from('ping'), { timeoutMs: 2000 }));
  assert.equal(error.code, 'refused');
  assert.equal(error.message, `tracker udp://127.0.0.1:${port}: connection refused`);
});

test('udpRequest: an abort signal cancels the wait', async () => {
  const udp = await udpServer('udp4', '127.0.0.1', () => {});
  try {
    const controller = new AbortController();
    const pending = transport.udpRequest('127.0.0.1', udp.port, Buffer.from('ping'), { timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    assert.equal((await rejection(pending)).code, 'aborted');
  } finally {
    await udp.close();
  }
});

test('udpRequest over IPv6 reports the IPv6 family', async (t) => {
  let udp;
  try {
    udp = await udpServer('udp6', '::1', (socket, msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  try {
    const reply = await transport.udpRequest('::1', udp.port, Buffer.from('v6'), { timeoutMs: 1000 });
    assert.equal(reply.data.toString(), 'v6');
    assert.equal(reply.family, 'IPv6');
  } finally {
    await udp.close();
  }
});
