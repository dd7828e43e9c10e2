import { addressBytes, familyOf } from '../protocol/krpc/index.js';

/*
 * BEP 42: a node id is tied to its IP address. The first 21 bits of the id are the first 21 bits
 * of crc32c((ip & mask) | (r << 29)) (IPv6: the high 64 bits, r << 61), where r is the low 3 bits
 * of the id's last byte. Local and private addresses are exempt. libtorrent checks it when
 * `dht_enforce_node_id` is on; so do we when `enforceNodeId` is (off on loopback test networks).
 */

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/** True when the id is valid for the address, or the address is exempt (local, private). */
export function nodeIdMatchesAddress(id: Uint8Array, host: string): boolean {
  if (isExemptAddress(host)) return true;
  const prefix = idPrefix(host, id[19]! & 0x7);
  if (prefix === undefined) return false;
  return id[0] === prefix[0] && id[1] === prefix[1] && (id[2]! & 0xf8) === (prefix[2]! & 0xf8);
}

/** A node id valid for `host` (BEP 42), the rest random. */
export function nodeIdForAddress(host: string, rng: () => number): Buffer {
  const id = Buffer.alloc(20);
  for (let i = 0; i < 20; i++) id[i] = Math.floor(rng() * 256);
  const prefix = idPrefix(host, id[19]! & 0x7);
  if (!prefix) return id;
  id[0] = prefix[0]!;
  id[1] = prefix[1]!;
  id[2] = (prefix[2]! & 0xf8) | (id[2]! & 0x7);
  return id;
}

function idPrefix(host: string, r: number): Buffer | undefined {
  const family = familyOf(host);
  if (!family) return undefined;
  const mask = family === 'IPv4' ? V4_MASK : V6_MASK;
  const ip = Buffer.from(addressBytes(host).subarray(0, mask.length));
  for (let i = 0; i < mask.length; i++) ip[i] = ip[i]! & mask[i]!;
  // r << 29 of a 32-bit value (r << 61 of a 64-bit one) is r << 5 of the first byte either way.
  ip[0] = ip[0]! | (r << 5);
  const crc = crc32c(ip);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc >>> 0, 0);
  return out;
}

/** Loopback, private, link-local and unique-local addresses: no id restriction (BEP 42). */
export function isExemptAddress(host: string): boolean {
  const family = familyOf(host);
  if (family === 'IPv4') {
    const [a, b] = addressBytes(host);
    return a === 10 || a === 127 || (a === 172 && b! >= 16 && b! < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || a === 0;
  }
  if (family === 'IPv6') {
    const bytes = addressBytes(host);
    const loopback = bytes.subarray(0, 15).every((x) => x === 0) && bytes[15] === 1;
    return loopback || (bytes[0]! & 0xfe) === 0xfc || (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80);
  }
  return true;
}

let table: Uint32Array | undefined;

/** CRC-32C (Castagnoli), reflected polynomial 0x82f63b78. */
export function crc32c(bytes: Uint8Array): number {
  table ??= makeTable();
  let crc = 0xffffffff;
  for (const byte of bytes) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
