import { createHmac } from 'node:crypto';
import { formatIPv4, formatIPv6 } from '../protocol/tracker/index.js';
import { clientAddressBytes } from './client-address.js';

/**
 * BEP 15 connection ids that the tracker need not remember: an id is the first 8 bytes of
 * HMAC-SHA256(secret, time window ‖ client address). Only a client that received our connect reply at
 * its address can know it, so an announce with a forged source address is refused, and the tracker
 * cannot be used to reflect large replies at someone else: a reply is no bigger than the request
 * that earns it until the client has proved it reads from its address.
 *
 * The id is bound to the address, not to the source port (as opentracker does): actorrent's own
 * tracker client sends each request from a fresh socket, NATs may remap ports between two requests,
 * and the port adds no protection, since whoever receives at an address can send from any port there.
 *
 * Windows of 30 s, four of them accepted: an id works for 90 to 120 s after it was issued, never more
 * than 2 minutes, and always well past the 1 minute BEP 15 lets a client use it.
 *
 * An HMAC costs microseconds, and a busy client announces many times a window: the ids of recent
 * addresses are remembered (a bounded cache, oldest entry out first), so verifying an announce is a
 * map lookup and two integer comparisons. A flood from forged addresses only misses the cache:
 * it costs the HMACs it always did, and the cache stays at its cap.
 */
export interface ConnectionIdOptions {
  windowMs?: number;
  lifetimeMs?: number;
  /** Addresses whose ids are remembered. Default 4096. */
  cacheSize?: number;
}

interface CachedIds {
  window: number;
  /** Bit k set: the id of window `window - k` is in ids[2k], ids[2k + 1]. */
  known: number;
  readonly ids: Uint32Array;
}

export class ConnectionIds {
  private readonly windowMs: number;
  private readonly windows: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<number | string, CachedIds>();

  constructor(
    private readonly secret: Buffer,
    options: ConnectionIdOptions = {},
  ) {
    if (secret.length < 16) throw new RangeError('the connection id secret must be at least 16 bytes');
    this.windowMs = options.windowMs ?? 30_000;
    const lifetimeMs = options.lifetimeMs ?? 120_000;
    this.windows = Math.min(30, Math.max(1, Math.floor(lifetimeMs / this.windowMs)));
    this.cacheSize = Math.max(1, options.cacheSize ?? 4096);
  }

  /** `address` as text (any form clientAddress reads); 0n if it is not an IP literal. */
  issue(address: string, now: number): bigint {
    const bytes = new Uint8Array(16);
    const length = clientAddressBytes(address, bytes);
    if (length === 0) return 0n;
    const out = Buffer.alloc(8);
    this.issueInto(bytes, length, now, out, 0);
    return out.readBigUInt64BE(0);
  }

  verify(id: bigint, address: string, now: number): boolean {
    if (id < 0n || id >= 1n << 64n) return false;
    const bytes = new Uint8Array(16);
    const length = clientAddressBytes(address, bytes);
    if (length === 0) return false;
    const given = Buffer.alloc(8);
    given.writeBigUInt64BE(id);
    return this.verifyAt(given, 0, bytes, length, now);
  }

  /** Writes the id for the address (its first `length` bytes: 4 or 16) to `out` at `offset`. */
  issueInto(address: Uint8Array, length: 4 | 16, now: number, out: Uint8Array, offset: number): void {
    const entry = this.idsOf(address, length, this.windowOf(now));
    this.compute(entry, 0, address, length);
    writeUint32(out, offset, entry.ids[0]!);
    writeUint32(out, offset + 4, entry.ids[1]!);
  }

  /** Whether the 8 bytes at `packet[offset]` are an id this address was issued and may still use. */
  verifyAt(packet: Uint8Array, offset: number, address: Uint8Array, length: 4 | 16, now: number): boolean {
    const hi = readUint32(packet, offset);
    const lo = readUint32(packet, offset + 4);
    const entry = this.idsOf(address, length, this.windowOf(now));
    for (let k = 0; k < this.windows; k++) {
      this.compute(entry, k, address, length);
      // Both halves compared whatever the first gives: no early exit to time.
      if (((entry.ids[2 * k]! ^ hi) | (entry.ids[2 * k + 1]! ^ lo)) === 0) return true;
    }
    return false;
  }

  private windowOf(now: number): number {
    return Math.floor(now / this.windowMs);
  }

  /** The cache entry of an address, set to the current window. */
  private idsOf(address: Uint8Array, length: 4 | 16, window: number): CachedIds {
    const key = length === 4 ? (address[0]! << 24) | (address[1]! << 16) | (address[2]! << 8) | address[3]! : Buffer.from(address.subarray(0, 16)).toString('latin1');
    let entry = this.cache.get(key);
    if (!entry) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      entry = { window, known: 0, ids: new Uint32Array(2 * this.windows) };
      this.cache.set(key, entry);
    } else if (entry.window !== window) {
      entry.window = window;
      entry.known = 0;
    }
    return entry;
  }

  /** Makes sure the id of window `entry.window - k` is in the entry. */
  private compute(entry: CachedIds, k: number, address: Uint8Array, length: 4 | 16): void {
    if (!(entry.known & (1 << k))) {
      const mac = this.mac(entry.window - k, length === 4 ? formatIPv4(address) : formatIPv6(address));
      entry.ids[2 * k] = mac.readUInt32BE(0);
      entry.ids[2 * k + 1] = mac.readUInt32BE(4);
      entry.known |= 1 << k;
    }
  }

  private mac(window: number, address: string): Buffer {
    return createHmac('sha256', this.secret).update(`${window}\n${address}`).digest();
  }
}

function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeUint32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
}
