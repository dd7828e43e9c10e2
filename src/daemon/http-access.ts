import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * Who may use the daemon's HTTP port, as Transmission decides it:
 *
 * - Host allow-list (DNS rebinding): an IP address, `localhost` or a name the user allowed; a page
 *   on evil.example whose name resolves to 127.0.0.1 sends `Host: evil.example` and is refused.
 * - Basic auth when `--rpc-auth USER:PASS` is given (compared in constant time).
 * - The RPC's CSRF token, `X-Transmission-Session-Id`: a request without the current one gets 409
 *   and the token, which a cross-site form cannot read.
 */
export interface AccessRules {
  /** `user:password`, or undefined for no authentication. */
  auth?: string;
  /** Host names allowed besides IP addresses and localhost. */
  allowedHosts?: readonly string[];
}

export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[] = []): boolean {
  if (!hostHeader) return false;
  const host = stripPort(hostHeader).toLowerCase();
  if (host === 'localhost' || host === 'localhost.') return true;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return true;
  return allowed.some((name) => name.toLowerCase() === host);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export function authorized(header: string | undefined, credentials: string | undefined): boolean {
  if (credentials === undefined) return true;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'base64');
  const expected = Buffer.from(credentials);
  // Compare equal lengths only, in constant time; a length mismatch still costs one comparison.
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  if (given.length !== expected.length) timingSafeEqual(expected, expected);
  return same;
}

export function newSessionId(): string {
  return randomBytes(36).toString('base64url');
}
