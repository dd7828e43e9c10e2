/**
 * A swarm of separate hosts on one machine: five network namespaces joined by a bridge, each with
 * its own address in 10.201.0.0/24, a range that exists only inside them (no route out, no address
 * on the bridge), so no packet leaves them. Host 1 runs `actorrent tracker` (HTTP and UDP), host 2
 * an actorrent seeder, hosts 3 and 4 actorrent leechers and host 5 a libtorrent 2.0 leecher; each
 * binds to its own address and finds the others only through the tracker (the seeder and one
 * actorrent leecher over HTTP, the others over UDP). When installed (always under CI), Transmission 3
 * leeches from a sixth host over HTTP: it ignores loopback peers, so only here can it be a leecher.
 * Every leecher ends byte-exact (Transmission creates no zero-length file), and the tracker and
 * seeder saw each host at its own address. Transmission runs with encryption required, so its
 * connections to the actorrent seeders are MSE/RC4 (the seeder's `peer-connected` says so). The namespaces, veths and bridge are removed in
 * `finally`, and leftovers of an earlier run that died are removed first (test/interop/clients/netns.ts).
 * Needs root (CI runs as root) and iproute2; elsewhere it is skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { makePayload } from '../engine/swarm-helpers.js';
import { hasLibtorrent, requireTool } from '../support/tools.js';
import { until } from '../support/until.js';
import { writeTorrentWithAnnounce } from './clients/announce.js';
import type { BackgroundProcess } from './clients/background.js';
import { type Host, type HostNetwork, actorrentCommand, createHostNetwork, removeLeftovers } from './clients/netns.js';
import { startLibtorrentTrackerPeer } from './clients/tracker-interop.js';
import { type Transmission, type TransmissionInfo, startTransmission } from './clients/transmission.js';

const SIZE = 4_000_000;
const SUBNET = '10.201.0';
const TRACKER_PORT = 6969;
const PEER_PORT = 6881; // every host has its own network stack, so each can use the same port

/** Root and iproute2, or a skip (a failure naming iproute2 under CI=true). */
function requireNamespaces(t: { skip(message: string): void }): boolean {
  const hasIp = spawnSync('ip', ['-V'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  const root = process.getuid?.() === 0;
  if (hasIp && root) return true;
  const message = hasIp
    ? 'the multi-host test makes network namespaces and needs root (CI runs as root)'
    : 'ip is not installed (Debian package iproute2: apt-get install -y iproute2)';
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** Transmission is optional outside CI: without it the swarm runs with five hosts. */
function requireTransmission(t: { diagnostic(message: string): void }): boolean {
  const found = ['transmission-daemon', 'transmission-remote'].every((c) => spawnSync(c, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0);
  if (found) return true;
  const message = 'transmission-daemon / transmission-remote are not installed (Debian packages transmission-daemon, transmission-cli)';
  if (process.env.CI === 'true') throw new Error(message);
  t.diagnostic(`${message}: running without the Transmission host`);
  return false;
}

/** Adds and starts the torrent (it finds its peers through the torrent's tracker); resolves once complete. */
async function transmissionLeech(daemon: Transmission, torrentFile: string, dir: string, hash: string): Promise<void> {
  await daemon.remote(['-a', torrentFile, '-w', dir]);
  await daemon.remote(['-t', hash, '-s']);
  let info: TransmissionInfo | undefined;
  await until(async () => (info = await daemon.info(hash)).percentDone === '100%' && /Seeding|Idle|Finished/.test(info.state), {
    what: () => `Transmission completing: ${JSON.stringify(info)}`,
    timeoutMs: 50_000,
    intervalMs: 250,
  });
}

/** Byte-exact, except that Transmission does not create zero-length files (if it made one, it is empty). */
function assertSameExceptEmpty(payload: { files: { rel: string; data: Buffer }[] }, dir: string) {
  for (const f of payload.files) {
    const file = path.join(dir, f.rel);
    if (f.data.length === 0) {
      assert.equal(statSync(file, { throwIfNoEntry: false })?.size ?? 0, 0, `${f.rel} is empty or absent`);
      continue;
    }
    assert.ok(readFileSync(file).equals(f.data), `${f.rel} differs under ${dir}`);
  }
}

test('multi-host swarm in network namespaces: tracker, actorrent seeder; actorrent ×2, libtorrent and Transmission leechers', { timeout: 90_000 }, async (t) => {
  if (!requireNamespaces(t)) return;
  if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
  const leftovers = await removeLeftovers();
  if (leftovers.length > 0) t.diagnostic(`removed leftovers of an earlier run: ${leftovers.join(', ')}`);

  // Transmission joins as a sixth host when installed (it dials only non-loopback peers, so this
  // is where it can leech); under CI it is required like the other clients.
  const withTransmission = requireTransmission(t);
  const payload = await makePayload({ multiFile: true, size: SIZE, pieceLength: 64 * 1024 });
  // Transmission also leeches a single-file torrent (from a second seeder on the seed host): it is the
  // one client that can only download from us here.
  const single = withTransmission ? await makePayload({ multiFile: false, size: SIZE, pieceLength: 64 * 1024 }) : undefined;
  const processes: BackgroundProcess[] = [];
  let net: HostNetwork | undefined;
  let cleanupFailures: string[] = [];
  let daemon: Transmission | undefined;
  try {
    net = await createHostNetwork(withTransmission ? 6 : 5, SUBNET);
    const [trackerHost, seedHost, leechA, leechB, leechLt, leechTr] = net.hosts as [Host, Host, Host, Host, Host, Host | undefined];
    const actorrent = (host: Host, args: string[], seconds: number) => {
      const [node, argv] = actorrentCommand([...args, '--json']);
      const p = net!.exec(host, node, argv, seconds);
      processes.push(p);
      return p;
    };
    // --no-lsd, --no-dht: here the peers must find each other through the tracker alone (LSD and the DHT have their own tests).
    const peer = (host: Host, args: string[]) => actorrent(host, [...args, '--bind', host.address, '--port', String(PEER_PORT), '--no-lsd', '--no-dht'], 70);

    const tracker = actorrent(trackerHost, ['tracker', '--host', trackerHost.address, '--port', String(TRACKER_PORT), '--interval', '4'], 80);
    const listening = await tracker.waitForEvent((e) => e.event === 'listening', 15_000);
    const httpTorrent = writeTorrentWithAnnounce(payload.torrent, String(listening.http), path.join(payload.root, 'http.torrent'));
    const udpTorrent = writeTorrentWithAnnounce(payload.torrent, String(listening.udp), path.join(payload.root, 'udp.torrent'));

    const seeder = peer(seedHost, ['seed', httpTorrent, '-o', payload.seedDir]);
    await seeder.waitForEvent((e) => e.event === 'tracker' && e.ok === true, 20_000);

    const outs = [payload.dir('host3-actorrent'), payload.dir('host4-actorrent'), payload.dir('host5-libtorrent')] as const;
    const started = performance.now();
    const a = peer(leechA, ['download', httpTorrent, '-o', outs[0]]);
    const b = peer(leechB, ['download', udpTorrent, '-o', outs[1]]);
    const lt = startLibtorrentTrackerPeer('leech', udpTorrent, outs[2], 45, { bindIp: leechLt.address, command: ['ip', 'netns', 'exec', leechLt.ns] });
    processes.push(lt);
    let transmission: Promise<number> | undefined;
    if (leechTr && single) {
      const singleTorrent = writeTorrentWithAnnounce(single.torrent, String(listening.http), path.join(single.root, 'http.torrent'));
      const singleSeeder = actorrent(seedHost, ['seed', singleTorrent, '-o', single.seedDir, '--bind', seedHost.address, '--port', String(PEER_PORT + 1), '--no-lsd', '--no-dht'], 70);
      await singleSeeder.waitForEvent((e) => e.event === 'tracker' && e.ok === true, 20_000);
      // Encryption required (2): Transmission then speaks to the actorrent seeders only over MSE/RC4.
      daemon = await startTransmission(payload.dir('transmission-work'), 75, { netns: leechTr.ns, bindAddress: leechTr.address, encryption: 2 });
      transmission = Promise.all([
        transmissionLeech(daemon, httpTorrent, payload.dir('host6-transmission'), payload.meta.infoHashHex),
        transmissionLeech(daemon, singleTorrent, single.dir('host6-transmission'), single.meta.infoHashHex),
      ]).then(() => performance.now() - started);
    }

    const context = () =>
      [tracker, seeder, a, b, lt].map((p, i) => `\n--- ${['tracker', 'seeder', 'host3', 'host4', 'libtorrent'][i]}:\n${p.stdout()}${p.stderr()}`).join('');
    const leechers = [a, b, lt];
    const results = await Promise.all(leechers.map(async (p) => ({ code: await p.exitWithin(55_000), ms: performance.now() - started }))).catch((e: Error) => {
      throw new Error(`${e.message}${context()}`);
    });
    results.forEach((r, i) => assert.equal(r.code, 0, `leecher on host ${i + 3} failed${context()}`));
    for (const out of outs) payload.assertSame(out);
    const transmissionMs = await transmission?.catch((e: Error) => {
      throw new Error(`${e.message}${context()}`);
    });
    if (leechTr) assertSameExceptEmpty(payload, path.join(payload.root, 'host6-transmission'));
    if (single) single.assertSame(path.join(single.root, 'host6-transmission'));

    // The seeder served each leecher at its own host's address.
    const servedFrom = new Set(seeder.events().filter((e) => e.event === 'peer-connected').map((e) => String(e.address).replace(/:\d+$/, '')));
    for (const host of [leechA, leechB, leechLt, ...(leechTr ? [leechTr] : [])]) assert.ok(servedFrom.has(host.address), `the seeder met ${host.address}: ${[...servedFrom].join(', ')}${context()}`);
    assert.ok(lt.events().some((e) => e.event === 'tracker-reply'), 'libtorrent heard from the tracker');
    if (leechTr) {
      const fromTransmission = seeder.events().filter((e) => e.event === 'peer-connected' && String(e.address).startsWith(`${leechTr.address}:`));
      assert.ok(fromTransmission.length > 0 && fromTransmission.every((e) => e.encryption === 'rc4'), `Transmission (encryption required) met the seeder over RC4: ${JSON.stringify(fromTransmission)}`);
    }

    // The tracker's final stats (it prints them when stopped): announces over both protocols.
    await tracker.stop();
    const stopped = tracker.events().find((e) => e.event === 'stopped') as { requests?: { http: { announce: number }; udp: { announce: number } } } | undefined;
    assert.ok(stopped?.requests, `the tracker reported its stats: ${tracker.stdout()}`);
    assert.ok(stopped.requests.http.announce >= 2, `seeder and host 3 announced over HTTP: ${JSON.stringify(stopped.requests)}`);
    assert.ok(stopped.requests.udp.announce >= 2, `host 4 and libtorrent announced over UDP: ${JSON.stringify(stopped.requests)}`);
    const times = results.map((r, i) => `host ${i + 3} ${r.ms.toFixed(0)} ms`);
    if (transmissionMs !== undefined) times.push(`host 6 (Transmission, multi- and single-file) ${transmissionMs.toFixed(0)} ms`);
    t.diagnostic(`${SIZE} bytes, multi-file, to each leecher: ${times.join(', ')} (process start and announce included)`);
  } finally {
    await Promise.all([...processes.map((p) => p.stop()), daemon?.stop()]);
    if (net) cleanupFailures = await net.remove();
    payload.cleanup();
    single?.cleanup();
  }
  assert.deepEqual(cleanupFailures, [], 'every namespace, veth and the bridge was removed');
  const left = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout + spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!left.includes(`actns${process.pid}h`) && !left.includes(`actns${process.pid}br`), `nothing of ours is left:\n${left}`);
});
