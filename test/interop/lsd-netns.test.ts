/**
 * Local Service Discovery (BEP 14) between separate hosts on one machine: three network namespaces
 * on a bridge, each with an address in 10.214.0.0/24 (a range that exists only inside them: no route
 * out, no address on the bridge, multicast TTL 1) and a route for 239.0.0.0/8 on its veth, as a LAN
 * host has. The torrent names no tracker and no peer is given, so LSD is the only way the peers can
 * meet: an actorrent seeder (host 1) and an actorrent leecher (host 2) find each other and transfer,
 * then a libtorrent 2.0 leecher with LSD on (host 3) finds the seeder the same way (actorrent hears
 * libtorrent's announce), and last a libtorrent seeder finds a new actorrent leecher (libtorrent
 * hears actorrent's announce). Every copy ends byte-exact. Needs root and iproute2 (CI runs as root); elsewhere it is skipped. The namespaces are
 * removed in `finally`, and leftovers of an earlier run that died are removed first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makePayload } from '../engine/swarm-helpers.js';
import { PYTHON, hasLibtorrent, requireTool } from '../support/tools.js';
import { type BackgroundProcess, type JsonEvent, startBackground } from './clients/background.js';
import { runBounded } from './clients/bounded.js';
import { type Host, type HostNetwork, actorrentCommand, createHostNetwork, removeLeftovers } from './clients/netns.js';

const SUBNET = '10.214.0'; // multi-host.test.ts uses 10.201.0
const PEER_PORT = 6881;
const lsdPeerScript = fileURLToPath(new URL('./clients/libtorrent_lsd_peer.py', import.meta.url));

/** Root and iproute2, or a skip (a failure under CI=true). */
function requireNamespaces(t: { skip(message: string): void }): boolean {
  const hasIp = spawnSync('ip', ['-V'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  const root = process.getuid?.() === 0;
  if (hasIp && root) return true;
  const message = hasIp
    ? 'the LSD test makes network namespaces and needs root (CI runs as root)'
    : 'ip is not installed (Debian package iproute2: apt-get install -y iproute2)';
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** `ip route add 239.0.0.0/8 dev <the host's veth>` inside its namespace: where multicast goes. */
async function addMulticastRoute(host: Host): Promise<void> {
  const addresses = await runBounded('ip', ['-n', host.ns, '-o', '-4', 'addr', 'show'], 10);
  const device = addresses.stdout.split('\n').find((line) => line.includes(` ${host.address}/`))?.split(/\s+/)[1];
  if (!device) throw new Error(`no device with ${host.address} in ${host.ns}: ${addresses.stdout}`);
  const route = await runBounded('ip', ['-n', host.ns, 'route', 'add', '239.0.0.0/8', 'dev', device], 10);
  if (route.code !== 0) throw new Error(`ip route add 239.0.0.0/8 in ${host.ns}: ${route.stderr}`);
}

const hostOf = (address: unknown) => String(address).replace(/^\[|\]?:\d+$/g, '');

test('LSD in network namespaces: two actorrent peers find each other and transfer; libtorrent and actorrent find each other both ways', { timeout: 150_000 }, async (t) => {
  if (!requireNamespaces(t)) return;
  if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
  const leftovers = await removeLeftovers();
  if (leftovers.length > 0) t.diagnostic(`removed leftovers of an earlier run: ${leftovers.join(', ')}`);

  const payload = await makePayload({ multiFile: true, size: 3_000_000, pieceLength: 64 * 1024 }); // no tracker in the torrent
  assert.deepEqual(payload.meta.announce, [], 'the torrent names no tracker');
  const processes: BackgroundProcess[] = [];
  let net: HostNetwork | undefined;
  let cleanupFailures: string[] = [];
  try {
    net = await createHostNetwork(3, SUBNET);
    const [seedHost, leechHost, ltHost] = net.hosts as [Host, Host, Host];
    for (const host of net.hosts) await addMulticastRoute(host);
    // --no-dht: LSD alone must bring the peers together (the DHT would also look for routers).
    const actorrent = (host: Host, args: string[]) => {
      const [node, argv] = actorrentCommand([...args, '--bind', host.address, '--port', String(PEER_PORT), '--no-dht', '--json']);
      const p = net!.exec(host, node, argv, 120);
      processes.push(p);
      return p;
    };
    const lsdWarnings = (p: BackgroundProcess) => p.events().filter((e) => e.event === 'warning');
    const context = () => processes.map((p) => `\n--- ${p.child.spawnargs.slice(5, 8).join(' ')}:\n${p.stdout()}${p.stderr()}`).join('');

    const seeder = actorrent(seedHost, ['seed', payload.torrentFile, '-o', payload.seedDir]);
    await seeder.waitForEvent((e) => e.event === 'listening', 30_000);

    // Two actorrent peers: the leecher announces when it starts; the seeder hears it and dials.
    const out = payload.dir('host2-actorrent');
    const started = performance.now();
    const leecher = actorrent(leechHost, ['download', payload.torrentFile, '-o', out]);
    const code = await leecher.exitWithin(60_000).catch((e: Error) => {
      throw new Error(`${e.message}${context()}`);
    });
    assert.equal(code, 0, `the actorrent leecher completed${context()}`);
    payload.assertSame(out);
    const leecherMs = performance.now() - started;
    // No tracker and no --peer: an outgoing connection between them can only come from LSD.
    const met = (p: BackgroundProcess, address: string) =>
      p.events().filter((e) => e.event === 'peer-connected' && hostOf(e.address) === address);
    const outgoing = [...met(seeder, leechHost.address), ...met(leecher, seedHost.address)].filter((e) => e.direction === 'outgoing');
    assert.ok(outgoing.length > 0, `one of them dialled the other${context()}`);
    for (const e of outgoing) if ('source' in e) assert.equal(e.source, 'lsd', `dialled a peer learnt by LSD: ${JSON.stringify(e)}`);
    assert.deepEqual(lsdWarnings(leecher), [], 'no LSD warning on the leecher');

    // A libtorrent leecher with LSD on: it announces when it starts, and meets the seeder.
    const ltOut = payload.dir('host3-libtorrent');
    const ltStarted = performance.now();
    const lt = startBackground('ip', ['netns', 'exec', ltHost.ns, PYTHON, lsdPeerScript, 'leech', payload.torrentFile, ltOut, '60', ltHost.address], 65);
    processes.push(lt);
    const ltCode = await lt.exitWithin(70_000).catch((e: Error) => {
      throw new Error(`${e.message}${context()}`);
    });
    assert.equal(ltCode, 0, `libtorrent completed${context()}`);
    payload.assertSame(ltOut);
    const ltMs = performance.now() - ltStarted;
    const seederSawLt = met(seeder, ltHost.address);
    assert.ok(seederSawLt.length > 0, `the seeder served libtorrent's host${context()}`);
    const ltPeers = lt.events().filter((e: JsonEvent) => e.event === 'peer' && hostOf(e.ip) === seedHost.address);
    const byLsd = seederSawLt.some((e) => e.direction === 'outgoing') || ltPeers.some((e) => e.lsd === true);
    assert.ok(byLsd, `the seeder dialled libtorrent after hearing it, or libtorrent heard the seeder: ${JSON.stringify([seederSawLt, ltPeers])}${context()}`);
    assert.deepEqual(lsdWarnings(seeder), [], 'no LSD warning on the seeder');
    t.diagnostic(`actorrent seeder ↔ libtorrent leecher: ${JSON.stringify({ seeder: seederSawLt.map((e) => [e.direction, e.source]), libtorrent: ltPeers.map((e) => [e.outgoing, e.lsd]) })}`);

    // The other way round: libtorrent seeds (the seeder above is gone) and has finished its own
    // announces (sent 3 times, 2 s then 4 s apart) before a new actorrent leecher starts. Only
    // libtorrent hearing the leecher's announce can bring them together: libtorrent dials it.
    await seeder.stop();
    const ltSeeder = startBackground('ip', ['netns', 'exec', ltHost.ns, PYTHON, lsdPeerScript, 'seed', payload.torrentFile, ltOut, '60', ltHost.address], 65);
    processes.push(ltSeeder);
    await ltSeeder.waitForEvent((e) => e.event === 'seeding', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const out2 = payload.dir('host2-actorrent-from-libtorrent');
    const secondStarted = performance.now();
    const second = actorrent(leechHost, ['download', payload.torrentFile, '-o', out2]);
    const secondCode = await second.exitWithin(60_000).catch((e: Error) => {
      throw new Error(`${e.message}${context()}`);
    });
    assert.equal(secondCode, 0, `the actorrent leecher completed from libtorrent${context()}`);
    payload.assertSame(out2);
    const fromLt = met(second, ltHost.address);
    assert.ok(fromLt.length > 0 && fromLt.every((e) => e.direction === 'incoming'), `libtorrent dialled the leecher it heard by LSD: ${JSON.stringify(fromLt)}${context()}`);
    t.diagnostic(`libtorrent seeder → actorrent leecher: ${(performance.now() - secondStarted).toFixed(0)} ms`);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    if (net) cleanupFailures = await net.remove();
    payload.cleanup();
  }
  assert.deepEqual(cleanupFailures, [], 'every namespace, veth and the bridge was removed');
  const left = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout + spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!left.includes(`actns${process.pid}h`) && !left.includes(`actns${process.pid}br`), `nothing of ours is left:\n${left}`);
});
