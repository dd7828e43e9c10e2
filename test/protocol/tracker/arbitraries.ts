import fc from 'fast-check';
import { formatIPv4, formatIPv6 } from '../../../src/protocol/tracker/index.js';

/** fast-check generators shared by the tracker tests. */

export const hash20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
export const port = fc.integer({ min: 1, max: 65535 });
export const amount = fc.oneof(fc.nat(), fc.maxSafeNat());
export const uint32 = fc.nat({ max: 0xffffffff });
export const interval = fc.integer({ min: 1, max: 0x7fffffff });
export const connectionId = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const event = fc.constantFrom(undefined, 'started' as const, 'completed' as const, 'stopped' as const);

export const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => formatIPv4(a));
// Mostly-zero addresses exercise `::` compression and the IPv4-mapped form.
export const ipv6Bytes = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.array(fc.constantFrom(0, 0, 0, 1, 0xff), { minLength: 16, maxLength: 16 }).map((a) => Uint8Array.from(a)),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v4) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4])),
);
export const ipv6 = ipv6Bytes.map((a) => formatIPv6(a));

export const peer4 = fc.record({ host: ipv4, port }).map((p) => ({ ...p }));
export const peer6 = fc.record({ host: ipv6, port }).map((p) => ({ ...p }));
export const hostName = fc.domain().filter((d) => !/^[0-9.]+$/.test(d));
