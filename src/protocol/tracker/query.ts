import { TrackerError } from './errors.js';

/*
 * Binary-safe URL query handling. Infohashes and peer ids are raw bytes, so they are escaped byte by
 * byte: RFC 3986 unreserved characters stay literal, every other byte becomes %XX, uppercase as RFC
 * 3986 recommends and aria2 writes (libtorrent writes lowercase; decoding takes both). Decoding works
 * on bytes too and never applies UTF-8 to a value.
 */

const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const HEX = '0123456789ABCDEF';

/** Percent-encodes bytes (a string is taken as UTF-8). */
export function percentEncode(value: Uint8Array | string): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const b of bytes) {
    out += UNRESERVED[b] ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/**
 * Decodes %XX escapes to bytes; other characters stand for themselves. `+` is kept as the byte 0x2B
 * (RFC 3986), not read as a space: in this protocol no client writes a space as `+`, and a client
 * that leaves a `+` in a binary infohash unescaped means the byte. The raw query of an HTTP request
 * line arrives as a latin1 string (one char per byte), so chars above 0xFF cannot occur and are refused.
 */
export function percentDecode(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) {
        throw new TrackerError('invalid-percent-encoding', `bad escape ${JSON.stringify(text.slice(i, i + 3))} at ${i}`);
      }
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c > 0xff) {
      throw new TrackerError('invalid-percent-encoding', `character U+${c.toString(16)} at ${i} is not a byte`);
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** The value of a hex digit's char code, or -1 for any other (NaN past the end of a string too). */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1; // also NaN past the end
}

/** One `name=value` pair of a query; names are compared as latin1 strings, values stay bytes. */
export interface QueryParam {
  name: string;
  value: Buffer;
}

/** Splits a raw query (with or without its leading `?`) into decoded parameters, in order. */
export function parseQuery(rawQuery: string): QueryParam[] {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const params: QueryParam[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    params.push({ name: percentDecode(name).toString('latin1'), value: percentDecode(value) });
  }
  return params;
}

/** A query string from already-escaped `name=value` parts. */
export function joinQuery(parts: readonly [name: string, escapedValue: string][]): string {
  return parts.map(([name, value]) => `${name}=${value}`).join('&');
}

/**
 * Appends escaped parameters to a URL that may already have a query (private trackers put the
 * passkey there). A fragment is never sent to a server, so it is dropped.
 */
export function appendQuery(url: string, query: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  if (query === '') return base;
  if (!base.includes('?')) return `${base}?${query}`;
  return base.endsWith('?') || base.endsWith('&') ? `${base}${query}` : `${base}&${query}`;
}

/** Checks an http(s) URL enough to build on it: scheme, host, no whitespace or control characters. */
export function checkHttpUrl(url: string): void {
  if (!/^https?:\/\/[^/?#\s]+/i.test(url) || /[\u0000-\u0020\u007f]/.test(url)) {
    throw new TrackerError('invalid-url', `${JSON.stringify(url)} is not an http(s) URL`);
  }
}
