import { formatIPv4, formatIPv6, parseIPv6 } from '../protocol/tracker/index.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** A peer's address as text: one canonical text per address, and its family. */
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
  const bytes = new Uint8Array(16);
  const length = clientAddressBytes(text, bytes);
  if (length === 4) return { host: formatIPv4(bytes), family: 'ipv4' };
  if (length === 16) return { host: formatIPv6(bytes), family: 'ipv6' };
  return undefined;
}

/**
 * The same address as bytes, written to `out` (16 bytes of room): returns 4 (IPv4), 16 (IPv6) or 0
 * (not an IP literal). A socket's IPv4 address, on every datagram and request, is read without
 * allocating anything.
 */
export function clientAddressBytes(text: string, out: Uint8Array): 0 | 4 | 16 {
  if (dottedQuad(text, 0, text.length, out)) return 4;
  // What a dual-stack socket reports for an IPv4 client, read as fast.
  if (text.startsWith('::ffff:') && dottedQuad(text, 7, text.length, out)) return 4;
  const zone = text.indexOf('%');
  let bare = zone === -1 ? text : text.slice(0, zone);
  if (bare.startsWith('[') && bare.endsWith(']')) bare = bare.slice(1, -1);
  const v6 = parseIPv6(bare);
  if (!v6) return 0;
  if (isV4Mapped(v6)) {
    for (let i = 0; i < 4; i++) out[i] = v6[12 + i]!;
    return 4;
  }
  for (let i = 0; i < 16; i++) out[i] = v6[i]!;
  return 16;
}

/** Exactly four decimal parts 0..255 without leading zeros (as parseIPv4), read by character code. */
function dottedQuad(text: string, from: number, to: number, out: Uint8Array): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
