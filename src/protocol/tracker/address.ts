/**
 * IP address text <-> bytes, without node:net (src/protocol stays free of sockets).
 * Formatting follows RFC 5952: lowercase hex, no leading zeros, the longest run of two or more zero
 * groups written `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d` (the form node reports in
 * `socket.remoteAddress`, so addresses from a socket and from a tracker compare equal).
 */

/**
 * Dotted-quad IPv4 → 4 bytes; undefined unless exactly four decimal parts 0..255 without leading zeros.
 * One pass over the characters, nothing allocated for text that is not an address: peer keys and
 * PEX messages parse every address they see.
 */
export function parseIPv4(text: string): Buffer | undefined {
  let parts = 0;
  let word = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    // A '.' after the last character closes the last part.
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || ++parts > 4) return undefined;
      word = word * 256 + value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if ((digits === 1 && value === 0) || ++digits > 3) return undefined;
      value = value * 10 + (c - 0x30);
    } else {
      return undefined;
    }
  }
  if (parts !== 4) return undefined;
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(word);
  return out;
}

export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** IPv6 text (any valid RFC 4291 form, no brackets, no zone id) → 16 bytes; undefined if invalid. */
export function parseIPv6(text: string): Buffer | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap !== -1) {
    if (text.indexOf('::', gap + 1) !== -1) return undefined;
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const all = [...headGroups, ...tailGroups];
  // An embedded IPv4 address may only be the very last thing written.
  const last = all[all.length - 1];
  let v4: Buffer | undefined;
  if (last !== undefined && last.includes('.')) {
    v4 = parseIPv4(last);
    if (!v4 || (gap !== -1 && tailGroups.length === 0)) return undefined;
    if (tailGroups.length > 0) tailGroups.pop();
    else headGroups.pop();
  }
  const toNumbers = (list: string[]): number[] | undefined => {
    const out: number[] = [];
    for (const g of list) {
      if (!HEX_GROUP.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const headNums = toNumbers(headGroups);
  const tailNums = toNumbers(tailGroups);
  if (!headNums || !tailNums) return undefined;
  const written = headNums.length + tailNums.length + (v4 ? 2 : 0);
  if (gap === -1) {
    if (written !== 8) return undefined;
  } else if (written > 7) {
    return undefined;
  }
  const groups = [...headNums, ...new Array<number>(8 - written).fill(0), ...tailNums];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  if (v4) v4.copy(out, 12);
  return out;
}

/** 16 bytes → RFC 5952 text. */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  }
  // Longest run of at least two zero groups; the first one wins a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

export type HostKind = 'ipv4' | 'ipv6' | 'name';

// RFC 1123 labels; underscores are tolerated because real DNS names carry them.
const DNS_NAME = /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
const DOTTED_NUMBERS = /^[0-9.]+$/;

/**
 * A peer's host as a tracker may write it (IPv4, IPv6 with or without brackets, or a DNS name) in
 * its normal form: IP literals re-formatted, names lowercased. Undefined for anything else,
 * including number-and-dot strings that are not a strict dotted quad (`010.1.1.1` is ambiguous).
 */
export function normalizeHost(text: string): { host: string; kind: HostKind } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { host: formatIPv4(v4), kind: 'ipv4' };
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (bare.includes(':')) {
    const v6 = parseIPv6(bare);
    return v6 ? { host: formatIPv6(v6), kind: 'ipv6' } : undefined;
  }
  if (DOTTED_NUMBERS.test(text) || !DNS_NAME.test(text)) return undefined;
  return { host: text.toLowerCase(), kind: 'name' };
}
