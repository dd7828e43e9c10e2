import { MagnetError, quote } from './error.js';

/** A peer from `x.pe`. `host` is a hostname, an IPv4 literal, or an IPv6 literal without brackets. */
export interface PeerAddress {
  host: string;
  port: number;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const HOSTNAME_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
const DIGITS_AND_DOTS = /^[0-9.]+$/;
const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

function isIPv4(text: string): boolean {
  const octets = text.split('.');
  return octets.length === 4 && octets.every((o) => OCTET.test(o) && Number(o) <= 255);
}

// Zone ids (fe80::1%eth0) are refused: they name an interface of the machine that wrote the link.
export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  let groups = 0;
  for (const [h, half] of halves.entries()) {
    if (half === '') continue;
    const parts = half.split(':');
    for (const [p, part] of parts.entries()) {
      const lastOfAddress = h === halves.length - 1 && p === parts.length - 1;
      if (lastOfAddress && part.includes('.')) {
        if (!isIPv4(part)) return false;
        groups += 2;
      } else if (HEX_GROUP.test(part)) {
        groups += 1;
      } else {
        return false;
      }
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  if (DIGITS_AND_DOTS.test(text)) return isIPv4(text);
  const labels = text.endsWith('.') ? text.slice(0, -1).split('.') : text.split('.');
  return labels.every((label) => HOSTNAME_LABEL.test(label));
}

/** Parses `host:port`, `ipv4:port` or `[ipv6]:port` (BEP 9 `x.pe`). */
export function parsePeerAddress(value: string): PeerAddress {
  const bad = (why: string) => new MagnetError('invalid-peer', `invalid magnet peer x.pe=${quote(value)}: ${why}`);
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) throw bad('missing "]" after the IPv6 address');
    host = value.slice(1, close);
    if (!isIPv6(host)) throw bad('not a valid IPv6 address');
    if (value[close + 1] !== ':') throw bad('missing ":port"');
    portText = value.slice(close + 2);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) throw bad('missing ":port"');
    host = value.slice(0, colon);
    if (host.includes(':')) throw bad('an IPv6 address must be written in [brackets]');
    if (!isHostname(host)) throw bad('not a valid hostname or IPv4 address');
    portText = value.slice(colon + 1);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) throw bad('port is not a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad('port out of range 1-65535');
  return { host, port };
}
