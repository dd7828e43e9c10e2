import path from 'node:path';
import { parsePeerAddress } from '../protocol/peer-address.js';
export { loadDhtState, saveDhtState } from '../dht/state-file.js';
import { UsageError } from './units.js';

/**
 * The DHT options of `download`, `seed` and `dht`: `--dht-bootstrap HOST:PORT` (repeatable) and
 * `--dht-port N`, and the routing table saved between runs.
 */

/** Mainline DHT routers that every client starts from (libtorrent's and Transmission's defaults). */
export const DEFAULT_DHT_ROUTERS = [
  { host: 'router.bittorrent.com', port: 6881 },
  { host: 'router.utorrent.com', port: 6881 },
  { host: 'dht.transmissionbt.com', port: 6881 },
  { host: 'dht.libtorrent.org', port: 25401 },
];

export function parseBootstrap(text: string): { host: string; port: number } {
  const trimmed = text.trim();
  const bareIpv6 = !trimmed.startsWith('[') && trimmed.split(':').length > 2;
  const parsed = bareIpv6 ? undefined : parsePeerAddress(trimmed);
  if (!parsed) throw new UsageError(`invalid --dht-bootstrap ${JSON.stringify(text)}: use HOST:PORT (a name or an address, IPv6 in brackets), port 1 to 65535`);
  return { host: parsed.host, port: parsed.port };
}

/**
 * Where to bootstrap: the nodes given, else the well-known routers, except from a loopback address
 * (they cannot be reached from there, and a test network must never try).
 */
export function bootstrapNodes(given: { host: string; port: number }[], bind: string | undefined): { host: string; port: number }[] {
  if (given.length > 0) return given;
  if (bind !== undefined && (bind.startsWith('127.') || bind === '::1')) return [];
  return DEFAULT_DHT_ROUTERS;
}

/** Where `download` and `seed` keep the table: beside the resume data. */
export function dhtStateFile(downloadDir: string): string {
  return path.join(downloadDir, '.actorrent', 'dht.state');
}
