/**
 * Interop with a second, independent DHT: the `bittorrent-dht` npm package (WebTorrent's, 10.0.7)
 * on real UDP sockets on 127.0.0.1, beside actorrent DHT nodes (the library's MainlineDht). An
 * actorrent node is the bootstrap node of both. bittorrent-dht finds the peer actorrent announced,
 * and actorrent finds the peer bittorrent-dht announced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { systemClock } from '../../src/env/clock.js';
import { MainlineDht } from '../../src/mainline-dht.js';
import type { PeerContact } from '../../src/protocol/krpc/index.js';

interface BittorrentDht {
  listen(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  announce(infoHash: Buffer, port: number, cb: (err?: Error) => void): void;
  lookup(infoHash: Buffer, cb: (err?: Error, nodes?: number) => void): void;
  on(event: 'peer', listener: (peer: { host: string; port: number }, infoHash: Buffer) => void): void;
  on(event: 'ready' | 'error' | 'warning', listener: (arg?: unknown) => void): void;
  destroy(cb?: () => void): void;
}
type DhtConstructor = new (options: { bootstrap: string[]; host?: string }) => BittorrentDht;

const require = createRequire(import.meta.url);
const DHT = require('bittorrent-dht') as DhtConstructor;

function actorrentNode(bootstrap: PeerContact[], onPeers?: (infoHash: string, peers: PeerContact[]) => void): MainlineDht {
  return new MainlineDht({ port: 0, host: '127.0.0.1', clock: systemClock, rng: Math.random, bootstrap, onPeers });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

test('bittorrent-dht finds what actorrent announced, and actorrent finds what bittorrent-dht announced (loopback)', { timeout: 60_000 }, async () => {
  const router = actorrentNode([]);
  const routerPort = await router.opened();
  const found: { infoHash: string; peers: PeerContact[] }[] = [];
  const ours = actorrentNode([{ host: '127.0.0.1', port: routerPort }], (infoHash, peers) => found.push({ infoHash, peers }));
  await ours.opened();
  const theirs = new DHT({ bootstrap: [`127.0.0.1:${routerPort}`], host: '127.0.0.1' });
  theirs.on('error', () => undefined);
  theirs.on('warning', () => undefined);
  try {
    await within(new Promise<void>((resolve) => theirs.listen(0, '127.0.0.1', resolve)), 5000, 'bittorrent-dht listening');
    await within(new Promise<void>((resolve) => theirs.on('ready', () => resolve())), 15_000, 'bittorrent-dht ready');

    // actorrent announces; bittorrent-dht looks it up.
    const ourHash = randomBytes(20);
    ours.track(ourHash, { port: 6001 });
    await within(
      (async () => {
        while (router.stats().peersStored === 0) await new Promise((r) => setTimeout(r, 100));
      })(),
      15_000,
      'actorrent announce stored',
    );
    const seen = new Promise<{ host: string; port: number }>((resolve) =>
      theirs.on('peer', (peer, infoHash) => {
        if (infoHash.equals(ourHash) && peer.port === 6001) resolve(peer);
      }),
    );
    theirs.lookup(ourHash, () => undefined);
    const peer = await within(seen, 15_000, 'bittorrent-dht finding the actorrent announce');
    assert.equal(peer.host, '127.0.0.1');

    // bittorrent-dht announces; actorrent looks it up.
    const theirHash = randomBytes(20);
    await within(new Promise<void>((resolve, reject) => theirs.announce(theirHash, 7002, (err) => (err ? reject(err) : resolve()))), 15_000, 'bittorrent-dht announce');
    ours.track(theirHash);
    await within(
      (async () => {
        while (!found.some((f) => f.infoHash === theirHash.toString('hex') && f.peers.some((p) => p.port === 7002))) await new Promise((r) => setTimeout(r, 100));
      })(),
      15_000,
      'actorrent finding the bittorrent-dht announce',
    );
    const stats = ours.stats();
    assert.ok(stats.nodes >= 2, `our table holds the router and bittorrent-dht: ${stats.nodes}`);
    assert.equal(stats.counts.malformed, 0, 'every bittorrent-dht message decoded');
  } finally {
    await new Promise<void>((resolve) => theirs.destroy(() => resolve()));
    await ours.close();
    await router.close();
  }
});
