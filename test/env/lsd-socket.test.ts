import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LsdDatagram, type LsdSocket, udpLsdSocket } from '../../src/env/lsd-socket.js';
import { until } from '../support/until.js';

/*
 * The real multicast sockets, on loopback only (127.0.0.1's interface), on a port of their own so
 * they neither disturb nor hear real LSD traffic. Nothing leaves this host.
 */

// A port per test process: parallel runs of this file do not hear each other.
const PORT = 20_000 + (process.pid % 20_000);

test('two sockets on the loopback interface hear each other, and themselves (multicast loopback)', async (t) => {
  const sockets: LsdSocket[] = [];
  try {
    const a = await udpLsdSocket({ interfaceAddress: '127.0.0.1', port: PORT });
    sockets.push(a);
    const b = await udpLsdSocket({ interfaceAddress: '127.0.0.1', port: PORT });
    sockets.push(b);
    assert.deepEqual(a.families, ['IPv4'], 'IPv6 is not joined on loopback: IPv4 reaches every local peer');
    const heard: { by: string; datagram: LsdDatagram }[] = [];
    a.onDatagram((datagram) => heard.push({ by: 'a', datagram }));
    const stopB = b.onDatagram((datagram) => heard.push({ by: 'b', datagram }));
    await a.send('IPv4', Buffer.from('hello from a'));
    await until(() => heard.length >= 2, { what: () => `both sockets hearing a: ${JSON.stringify(heard)}`, timeoutMs: 5000 });
    for (const by of ['a', 'b']) {
      const got = heard.find((h) => h.by === by);
      assert.equal(got?.datagram.data.toString(), 'hello from a', by);
      assert.equal(got?.datagram.address, '127.0.0.1');
      assert.equal(got?.datagram.family, 'IPv4');
    }
    stopB();
    heard.length = 0;
    await b.send('IPv4', Buffer.from('second'));
    await until(() => heard.length >= 1, { what: 'a hearing b', timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(heard.map((h) => h.by), ['a'], 'b stopped listening');
    await assert.rejects(a.send('IPv6', Buffer.from('x')), /no IPv6 group joined/);
  } catch (err) {
    if (process.env.CI !== 'true' && /ENODEV|EADDRNOTAVAIL|ENOBUFS/.test(String(err))) return t.skip(`no multicast on loopback here: ${String(err)}`);
    throw err;
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
});

test('an address no interface has is refused, naming it', async () => {
  await assert.rejects(udpLsdSocket({ interfaceAddress: '198.51.100.254', port: PORT }), /no network interface has the address 198\.51\.100\.254/);
});
