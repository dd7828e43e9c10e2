import { MagnetError, quote } from './error.js';

// ignoreBOM keeps a leading U+FEFF in the value instead of silently eating it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

// A loop, not push(...bytes): spreading a 64 KiB run would overflow the argument limit.
function pushUtf8(bytes: number[], text: string): void {
  for (const byte of Buffer.from(text, 'utf8')) bytes.push(byte);
}

/**
 * Decodes %XX escapes as UTF-8 bytes. A '%' not followed by two hex digits, or bytes that are
 * not valid UTF-8, raise MagnetError. `plusIsSpace` is the form-encoding rule browsers and
 * libtorrent apply ('+' means ' '); we use it for `dn` only, since '+' is a legal literal in URLs.
 */
export function percentDecode(raw: string, field: string, plusIsSpace = false): string {
  if (!raw.includes('%') && !(plusIsSpace && raw.includes('+'))) return raw;
  const bytes: number[] = [];
  let runStart = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (ch !== 0x25 && !(plusIsSpace && ch === 0x2b)) continue;
    if (i > runStart) pushUtf8(bytes, raw.slice(runStart, i));
    if (ch === 0x2b) {
      bytes.push(0x20);
    } else {
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) {
        throw new MagnetError('invalid-escape', `malformed percent escape ${quote(raw.slice(i, i + 3))} in magnet ${field}`);
      }
      bytes.push(high * 16 + low);
      i += 2;
    }
    runStart = i + 1;
  }
  if (raw.length > runStart) pushUtf8(bytes, raw.slice(runStart));
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new MagnetError('invalid-utf8', `magnet ${field} is not valid UTF-8 after percent-decoding`);
  }
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e
  );
}

/** RFC 3986 percent-encoding of the UTF-8 bytes: everything but unreserved characters is escaped. */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
