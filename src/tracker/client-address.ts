import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../protocol/tracker/index.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** A peer's address as the registry stores it: one canonical text per address, and its family. */
export interface ClientAddress {
  host: string;
  family: IpFamily;
}

/**
 * Canonical form of an address from a socket or (when trusted) from a request: IPv4 dotted quad, or
 * IPv6 in RFC 5952 form. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket
 * reports for an IPv4 client) becomes plain IPv4: that client came over IPv4, and its reply must be
 * in the IPv4 format. A zone id (`fe80::1%eth0`) is dropped. Undefined for anything else.
 */
export function clientAddress(text: string): ClientAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { host: formatIPv4(v4), family: 'ipv4' };
  const zone = text.indexOf('%');
  const bare = zone === -1 ? text : text.slice(0, zone);
  const v6 = parseIPv6(bare.startsWith('[') && bare.endsWith(']') ? bare.slice(1, -1) : bare);
  if (!v6) return undefined;
  if (isV4Mapped(v6)) return { host: formatIPv4(v6, 12), family: 'ipv4' };
  return { host: formatIPv6(v6), family: 'ipv6' };
}

function isV4Mapped(bytes: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
