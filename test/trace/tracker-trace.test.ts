import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseTrace } from '../../src/trace/read-trace.js';
import { startCli } from '../support/cli.js';

/** `actorrent tracker --trace`: every announce the tracker serves (HTTP and UDP) is a record. */

test('tracker --trace records the announces it serves, over HTTP and UDP, and closes the file on Ctrl-C', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-tracker-trace-'));
  const file = path.join(dir, 'tracker.trace');
  const tracker = startCli(['tracker', '--port', '0', '--json', '--trace', file], { timeoutMs: 50_000 });
  try {
    const listening = await tracker.waitForEvent((e) => e.event === 'listening', 20_000);
    const port = Number(listening['port']);
    const infoHash = '%124Vx%9A%BC%DE%F0%124Vx%9A%BC%DE%F0%124Vx';
    const reply = await fetch(`http://127.0.0.1:${port}/announce?info_hash=${infoHash}&peer_id=-XX0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=5&event=started&compact=1`);
    assert.equal(reply.status, 200);
    await reply.arrayBuffer();
    // A BEP 15 connect request: magic, action 0, a transaction id.
    const udp = createSocket('udp4');
    const connect = Buffer.alloc(16);
    connect.writeBigUInt64BE(0x41727101980n, 0);
    connect.writeUInt32BE(0, 8);
    connect.writeUInt32BE(7, 12);
    const answered = new Promise<void>((resolve) => udp.once('message', () => resolve()));
    udp.send(connect, port, '127.0.0.1');
    await answered;
    udp.close();
    tracker.child.kill('SIGINT');
    const exit = await tracker.exitWithin(20_000);
    assert.equal(exit.status, 130, exit.stderr);
    const trace = parseTrace(readFileSync(file, 'utf8'));
    assert.equal(trace.meta.command, 'tracker');
    assert.equal(trace.meta.infoHash, null);
    const requests = trace.records.filter(({ record }) => record.kind === 'tracker').map(({ record }) => record.msg);
    assert.equal(requests.length, 2, JSON.stringify(requests));
    assert.deepEqual(
      [requests[0]!['via'], requests[0]!['path'], requests[0]!['infoHash'], requests[0]!['event'], requests[0]!['left']],
      ['http', '/announce', '123456789abcdef0123456789abcdef012345678', 'started', '5'],
    );
    assert.deepEqual([requests[1]!['via'], requests[1]!['action']], ['udp', 'connect']);
    const states = trace.records.filter(({ record }) => record.kind === 'state').map(({ record }) => record.msg['value']);
    assert.deepEqual(states.slice(0, 2), ['starting', 'listening']);
  } finally {
    tracker.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
