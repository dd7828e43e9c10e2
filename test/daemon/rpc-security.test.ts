import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { cleanups, makeTorrent, rawRpc, startTestDaemon, tempDir } from './daemon-fixture.js';

/** Raw HTTP with any Host header (fetch will not send a foreign one). */
function httpGet(port: number, pathname: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, method: 'POST', headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{"method":"session-get"}');
  });
}

test('RPC access: 409 without the session id, 401 with wrong Basic auth, a foreign Host refused, the web UI and metrics behind the same auth', { timeout: 30_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const daemon = await startTestDaemon(dir, { rpcAuth: 'alice:s3cret' });
  later(() => daemon.close());
  const port = daemon.http.port;
  const good = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;

  const first = await fetch(daemon.url, { method: 'POST', headers: { Authorization: good }, body: '{"method":"session-get"}' });
  assert.equal(first.status, 409);
  const sessionId = first.headers.get('x-transmission-session-id');
  assert.match(sessionId ?? '', /^[\w-]{40,}$/);
  assert.equal(first.headers.get('x-transmission-rpc-version'), '6.0.0');
  const wrongId = await fetch(daemon.url, { method: 'POST', headers: { Authorization: good, 'X-Transmission-Session-Id': 'forged' }, body: '{}' });
  assert.equal(wrongId.status, 409, 'a guessed id is refused too');
  const ok = await fetch(daemon.url, { method: 'POST', headers: { Authorization: good, 'X-Transmission-Session-Id': sessionId! }, body: '{"method":"session-get","arguments":{"fields":["version"]}}' });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { result: string }).result, 'success');

  for (const auth of [undefined, `Basic ${Buffer.from('alice:wrong').toString('base64')}`, `Basic ${Buffer.from('alice:s3cret!').toString('base64')}`, 'Bearer x']) {
    const res = await fetch(daemon.url, { method: 'POST', headers: { 'X-Transmission-Session-Id': sessionId!, ...(auth ? { Authorization: auth } : {}) }, body: '{}' });
    assert.equal(res.status, 401, `refused: ${auth}`);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  }
  for (const pathname of ['/transmission/web/', '/metrics', '/transmission/web/app.js']) {
    const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
    assert.equal(res.status, 401, `${pathname} needs auth`);
    await res.text();
  }
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: good } });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /actorrent_torrents\{state="seeding"\} 0/);

  // DNS rebinding: a page on a foreign name that resolves to us sends its own Host.
  for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example']) {
    const res = await httpGet(port, '/transmission/rpc', { Host: host, Authorization: good, 'X-Transmission-Session-Id': sessionId! });
    assert.equal(res.status, 421, `Host ${host} refused`);
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
    const res = await httpGet(port, '/transmission/rpc', { Host: host, Authorization: good, 'X-Transmission-Session-Id': sessionId! });
    assert.equal(res.status, 200, `Host ${host} allowed`);
  }
});

test('download folders outside the allowed root, relative, or through a symlink are refused; a path-traversing rename too', { timeout: 30_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const daemon = await startTestDaemon(dir);
  later(() => daemon.close());
  const torrent = await makeTorrent(dir, { name: 'data', files: [1000, 2000] });
  const metainfo = torrent.bytes.toString('base64');
  const outside = path.join(dir, 'outside');
  await mkdir(outside, { recursive: true });
  await symlink(outside, path.join(daemon.downloadDir, 'link-out'));
  const add = async (downloadDir: string) => JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-add', arguments: { metainfo, 'download-dir': downloadDir, paused: true } }))).text) as { result: string };

  for (const bad of ['/etc', outside, path.join(daemon.downloadDir, '..', 'outside'), path.join(daemon.downloadDir, 'link-out', 'x'), 'relative/dir', '']) {
    const answer = await add(bad);
    assert.notEqual(answer.result, 'success', `${bad} refused`);
  }
  assert.equal(daemon.daemon.list().length, 0, 'nothing was added');
  const inside = await add(path.join(daemon.downloadDir, 'movies'));
  assert.equal(inside.result, 'success');
  const entry = daemon.daemon.list()[0]!;
  assert.equal(entry.saved.download_dir, path.join(daemon.downloadDir, 'movies'));

  const location = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-set-location', arguments: { ids: [entry.id], location: '/tmp', move: true } }))).text);
  assert.notEqual(location.result, 'success');
  const session = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'session-set', arguments: { 'download-dir': '/' } }))).text);
  assert.notEqual(session.result, 'success');
  assert.equal(daemon.daemon.settings.download_dir, daemon.downloadDir);

  for (const [from, name] of [['data', '../escaped'], ['data', 'a/b'], ['data/../..', 'x'], ['data', '..'], ['../data', 'x'], ['data', '']]) {
    const answer = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-rename-path', arguments: { ids: [entry.id], path: from, name } }))).text);
    assert.notEqual(answer.result, 'success', `rename ${from} → ${name} refused`);
  }
  assert.equal(entry.meta!.name, 'data');
  const renamed = JSON.parse((await rawRpc(daemon.url, JSON.stringify({ method: 'torrent-rename-path', arguments: { ids: [entry.id], path: 'data/file-1.bin', name: 'second.bin' } }))).text);
  assert.equal(renamed.result, 'success');
  assert.deepEqual(entry.meta!.files.map((f) => f.path.join('/')), ['data/file-0.bin', 'data/second.bin']);
});

test('unknown methods and malformed bodies get Transmission-style errors in both forms, never a crash', { timeout: 30_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const daemon = await startTestDaemon(dir);
  later(() => daemon.close());
  const call = async (body: string) => {
    const res = await rawRpc(daemon.url, body);
    return { status: res.status, json: res.text ? JSON.parse(res.text) : undefined };
  };
  // Classic answers as transmission-daemon 3.00 gives them.
  assert.deepEqual((await call('{"method":"nope","tag":5}')).json, { arguments: {}, result: 'method name not recognized', tag: 5 });
  assert.deepEqual((await call('{"arguments":{}}')).json, { arguments: {}, result: 'no method name' });
  assert.equal((await call('{"method":"torrent-get","arguments":{}}')).json.result, 'no fields specified');
  assert.equal((await call('{"method":"torrent-add","arguments":{}}')).json.result, 'no filename or metainfo specified');
  assert.equal((await call('{"method":"torrent-add","arguments":{"metainfo":"aGVsbG8="}}')).json.result, 'invalid or corrupt torrent file');
  assert.equal((await call('{"method":"torrent-add","arguments":{"filename":"/nonexistent.torrent"}}')).json.result, 'invalid or corrupt torrent file');
  assert.equal((await call('{"method":"torrent-set-location","arguments":{"ids":[1]}}')).json.result, 'no location');
  assert.equal((await call('{"method":"torrent-rename-path","arguments":{"ids":[1,2],"path":"x","name":"y"}}')).json.result, 'torrent-rename-path requires 1 torrent');
  assert.match((await call('{"method":"port-test"}')).json.result, /Couldn't test port/);
  assert.match((await call('{"method":"blocklist-update"}')).json.result, /not supported/);
  assert.deepEqual((await call('{"method":"torrent-get","arguments":{"fields":["id"],"ids":[99]},"tag":2}')).json, { arguments: { torrents: [] }, result: 'success', tag: 2 });
  // JSON-RPC 2.0.
  assert.deepEqual((await call('not json')).json.error.code, -32700);
  assert.deepEqual((await call('{"jsonrpc":"2.0","method":"nope","id":3}')).json, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 3 });
  assert.equal((await call('{"jsonrpc":"1.0","method":"session_get","id":1}')).json.error.code, -32600);
  assert.equal((await call('{"jsonrpc":"2.0","method":"session_get","params":[1],"id":1}')).json.error.code, -32602);
  assert.equal((await call('{"jsonrpc":"2.0","method":"session_get","id":{"x":1}}')).json.error.code, -32600);
  assert.equal((await call('[]')).json.error.code, -32600);
  const batch = (await call('[{"jsonrpc":"2.0","method":"session_stats","id":1},{"jsonrpc":"2.0","method":"session_stats"},{"method":"session-get"}]')).json;
  assert.equal(batch.length, 2, 'the notification is not answered');
  assert.equal(batch[0].result.torrent_count, 0);
  assert.equal(batch[1].error.code, -32600, 'a classic request inside a batch is refused');
  assert.equal((await call('{"jsonrpc":"2.0","method":"session_stats"}')).status, 204, 'a lone notification: 204');
  for (const junk of ['{', 'null', '42', '"x"', '{"method":42}', '{"method":"torrent-get","arguments":[]}', '{"jsonrpc":"2.0","method":"torrent_get","params":{"fields":"id"},"id":1}', '{"method":"torrent-set","arguments":{"ids":"all","files-wanted":"x"}}']) {
    const { status } = await call(junk);
    assert.ok(status === 200 || status === 204, `${junk}: answered`);
  }
  assert.equal((await call('{"method":"session-stats"}')).json.result, 'success', 'still serving');
});

test('the daemon binds the RPC and web UI to 127.0.0.1 unless told otherwise', { timeout: 30_000 }, async (t) => {
  const later = cleanups(t);
  const dir = await tempDir(later);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', '--data', path.join(dir, 'data'), '--download-dir', path.join(dir, 'dl'), '--port', '0', '--rpc-port', '0', '--no-dht'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 25_000,
  });
  later(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('\n')) resolve(err);
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${err}`)));
  });
  assert.match(line, /RPC at http:\/\/127\.0\.0\.1:\d+\/transmission\/rpc/);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  child.kill('SIGTERM');
  assert.equal(await exited, 143, 'SIGTERM stops it cleanly');
});
