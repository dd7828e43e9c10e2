import { MagnetError, quote } from './error.js';

const HEX_40 = /^[0-9a-f]{40}$/i;
const BASE32_32 = /^[a-z2-7]{32}$/i;

/**
 * The 20-byte v1 info-hash of `xt=urn:btih:<hash>`: 40 hex digits, or 32 RFC 4648 base32
 * characters (BEP 9 keeps base32 for older links). Both are accepted in any case.
 */
export function parseBtih(hash: string): Buffer {
  if (hash.length === 40) {
    if (!HEX_40.test(hash)) throw new MagnetError('invalid-info-hash', `magnet info-hash ${quote(hash, 48)} is not 40 hex digits`);
    return Buffer.from(hash, 'hex');
  }
  if (hash.length === 32) {
    if (!BASE32_32.test(hash)) throw new MagnetError('invalid-info-hash', `magnet info-hash ${quote(hash, 48)} is not 32 base32 characters`);
    return decodeBase32(hash);
  }
  throw new MagnetError(
    'invalid-info-hash',
    `magnet info-hash has ${hash.length} characters, expected 40 (hex) or 32 (base32)`,
  );
}

// 32 characters carry exactly 160 bits, so there is no padding and no leftover bits to check.
function decodeBase32(text: string): Buffer {
  const out = Buffer.alloc(20);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const ch of text.toUpperCase()) {
    const code = ch.charCodeAt(0);
    const value = code >= 0x41 ? code - 0x41 : code - 0x32 + 26;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 of a 20-byte hash (used by tests and for display; magnets we write use hex). */
export function encodeBase32(hash: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of hash) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
