// The traffic every tracker gets from the load generator: 50,000 peers (20 % seeders) in 1,000
// torrents. Shared with the case, which writes opentracker's whitelist (Debian builds it with one)
// from the same infohashes.
export const TORRENTS = 1000;
/** Peers announcing in turn: the swarms fill up, then the tracker's state stops growing. */
export const PEERS = 50_000;

export function infoHash(peer: number): Buffer {
  const h = Buffer.alloc(20, 0x11);
  h.writeUInt32BE(peer % TORRENTS, 0);
  return h;
}

export const peerId = (peer: number) => Buffer.from(`-BN0001-${String(peer).padStart(12, '0')}`, 'latin1');
export const left = (peer: number) => (peer % 5 === 0 ? 0 : 1_000_000);
export const peerPort = (peer: number) => 1024 + peer;
