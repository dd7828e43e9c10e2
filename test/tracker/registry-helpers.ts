import type { IpFamily } from '../../src/tracker/client-address.js';
import { type PeerAnnounce, type RegistryLimits, SwarmRegistry } from '../../src/tracker/swarm-registry.js';

/** Test data for the registry: infohashes and peer ids from small numbers, addresses from ports. */
export const hash = (n: number): Buffer => {
  const b = Buffer.alloc(20, 0xaa);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};

export const peerId = (n: number): Buffer => Buffer.from(`-TS0001-${String(n).padStart(12, '0')}`, 'latin1');

export const LIMITS: RegistryLimits = {
  maxTorrents: 1000,
  maxPeersPerTorrent: 1000,
  maxPeers: 10_000,
  defaultNumwant: 50,
  maxNumwant: 200,
  peerTtlMs: 3_600_000,
};

export function registry(limits: Partial<RegistryLimits> = {}): SwarmRegistry {
  return new SwarmRegistry({ ...LIMITS, ...limits });
}

/** An announce of peer `n` (IPv4 10.0.x.y:port 10000+n unless overridden) on torrent `torrent`. */
export function announceOf(torrent: number, n: number, fields: Partial<PeerAnnounce> = {}): PeerAnnounce {
  return {
    infoHash: hash(torrent),
    peerId: peerId(n),
    host: `10.0.${(n >> 8) & 255}.${n & 255}`,
    family: 'ipv4' as IpFamily,
    port: 10_000 + (n % 50_000),
    left: 1000,
    ...fields,
  };
}

export { seededRng } from '../../src/env/rng.js';
