import { isIPv6 } from 'node:net';

/**
 * How much payload one uTP packet carries: the path MTU less the IP and UDP headers, the uTP
 * header and room for a selective ack, so no packet is ever fragmented. Ethernet (1500) is the
 * MTU we assume on every path, loopback included: libtorrent reads each datagram into a 1500-byte
 * buffer, so anything larger would be cut. Pure.
 */
export const ETHERNET_MTU = 1500;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
/** uTP header (20) plus a selective ack of up to 32 bytes with its 2-byte extension header. */
const UTP_OVERHEAD = 20 + 2 + 32;

/** The largest datagram we send to `host` (bytes of UDP payload). */
export function maxDatagram(host: string, mtu = ETHERNET_MTU): number {
  return mtu - (isIPv6(host) ? IPV6_HEADER : IPV4_HEADER) - UDP_HEADER;
}

/** The largest payload of one data packet to `host`. */
export function maxPayload(host: string, mtu = ETHERNET_MTU): number {
  return maxDatagram(host, mtu) - UTP_OVERHEAD;
}
