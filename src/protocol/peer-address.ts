import { formatAddress } from '../util/socket-address.js';
import { normalizeHost } from './tracker/address.js';

/*
 * One spelling of a peer's address, whoever gave it (a tracker, `--peer`, PEX, a socket): a host
 * in normal form and a port, keyed as `host:port` or `[v6]:port`. The dial book dedupes on the key.
 * (A magnet link's `x.pe` has its own, stricter parser: magnet/peer-address.ts.)
 */

// Addresses that can never be a remote peer.
const UNROUTABLE = new Set(['0.0.0.0', '::', '255.255.255.255', '::ffff:0.0.0.0']);

/** The canonical key of a peer address, or undefined for an invalid host or port. */
export function peerKey(host: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (typeof host !== 'string') return undefined;
  const normal = normalizeHost(host);
  if (!normal || UNROUTABLE.has(normal.host)) return undefined;
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; trackers write a.b.c.d.
  if (normal.kind === 'ipv6' && normal.host.startsWith('::ffff:') && normal.host.includes('.')) {
    return `${normal.host.slice('::ffff:'.length)}:${port}`;
  }
  return formatAddress(normal.host, port);
}

/**
 * Parses `host:port`, `[v6]:port`, or the unbracketed `v6:port` that `socket.remoteAddress` +
 * port gives (the port is always after the last colon). Undefined if invalid.
 */
export function parsePeerAddress(address: string): { host: string; port: number; key: string } | undefined {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const portText = address.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const key = peerKey(host, port);
  if (!key) return undefined;
  return { host: key.startsWith('[') ? key.slice(1, key.lastIndexOf(']')) : key.slice(0, key.lastIndexOf(':')), port, key };
}
