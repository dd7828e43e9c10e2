import { isIP } from 'node:net';
import { parsePeerAddress } from '../protocol/peer-address.js';
import { UsageError } from './units.js';

/** `--port`: 0 (pick a free port) to 65535. */
export function parsePort(text: string): number {
  if (!/^\s*\d{1,5}\s*$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`invalid port ${JSON.stringify(text)}: use a number from 0 to 65535 (0 picks a free port)`);
  }
  return Number(text);
}

/** `--bind`: an IP address of this machine, IPv6 with or without brackets. */
export function parseBind(text: string): string {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(bare) === 0) throw new UsageError(`invalid --bind address ${JSON.stringify(text)}: use an IP address such as 127.0.0.1 or ::1`);
  return bare;
}

/** `--peer HOST:PORT`, with IPv6 in brackets (`[::1]:6881`). */
export function parsePeer(text: string): { host: string; port: number } {
  // Unbracketed IPv6 is refused: `::1:6881` could be the address ::1:6881 with no port.
  const trimmed = text.trim();
  const bareIpv6 = !trimmed.startsWith('[') && trimmed.split(':').length > 2;
  const parsed = bareIpv6 ? undefined : parsePeerAddress(trimmed);
  if (!parsed) {
    throw new UsageError(`invalid --peer ${JSON.stringify(text)}: use HOST:PORT, with IPv6 in brackets ([::1]:6881), port 1 to 65535`);
  }
  return { host: parsed.host, port: parsed.port };
}
