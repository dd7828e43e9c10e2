import { clientAddressBytes } from '../../src/tracker/client-address.js';
import { type PeerAnnounce, type RegistryLimits, type SwarmPeer, SwarmRegistry } from '../../src/tracker/swarm-registry.js';
import type { ScrapeStats } from '../../src/protocol/tracker/index.js';

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
  return new SwarmRegistry({ ...LIMITS, ...limits }, 0x5eed);
}

/** An IP literal as the registry takes it: 4 or 16 bytes. */
export function addressOf(host: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const length = clientAddressBytes(host, bytes);
  if (length === 0) throw new Error(`${host} is not an IP address`);
  return bytes.subarray(0, length);
}

/** An announce of peer `n` (IPv4 10.0.x.y:port 10000+n unless overridden) on torrent `torrent`. */
export function announceOf(torrent: number, n: number, fields: Partial<PeerAnnounce> & { host?: string } = {}): PeerAnnounce {
  const { host, ...rest } = fields;
  return {
    infoHash: hash(torrent),
    peerId: peerId(n),
    address: addressOf(host ?? `10.0.${(n >> 8) & 255}.${n & 255}`),
    port: 10_000 + (n % 50_000),
    left: 1000,
    ...rest,
  };
}

/** An announce and the peers it listed, described (the registry's outcome is only valid until its next call). */
export function announce(r: SwarmRegistry, request: PeerAnnounce, now: number, rng: () => number): ScrapeStats & { peers: SwarmPeer[] } {
  const { complete, incomplete, downloaded } = r.announce(request, now, rng);
  return { complete, incomplete, downloaded, peers: r.listedPeers() };
}

export { seededRng } from '../../src/env/rng.js';
