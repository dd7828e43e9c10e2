import { formatIPv4, formatIPv6, parseIPv6 } from '../protocol/tracker/address.js';

/**
 * Who a per-address connection cap counts a client as: an IPv4 address (also when a dual-stack
 * socket reports it as `::ffff:a.b.c.d`), or an IPv6 /64. One IPv6 host usually holds a whole /64,
 * so counting single IPv6 addresses would give it 2⁶⁴ caps.
 */
export function addressGroup(address: string): string {
  const zone = address.indexOf('%');
  const v6 = parseIPv6(zone === -1 ? address : address.slice(0, zone));
  if (!v6) return address;
  if (v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return formatIPv4(v6, 12);
  v6.fill(0, 8);
  return `${formatIPv6(v6)}/64`;
}
