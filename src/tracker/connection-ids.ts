import { createHmac, timingSafeEqual } from 'node:crypto';

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
 */
export interface ConnectionIdOptions {
  windowMs?: number;
  lifetimeMs?: number;
}

export class ConnectionIds {
  private readonly windowMs: number;
  private readonly windows: number;

  constructor(
    private readonly secret: Buffer,
    options: ConnectionIdOptions = {},
  ) {
    if (secret.length < 16) throw new RangeError('the connection id secret must be at least 16 bytes');
    this.windowMs = options.windowMs ?? 30_000;
    const lifetimeMs = options.lifetimeMs ?? 120_000;
    this.windows = Math.max(1, Math.floor(lifetimeMs / this.windowMs));
  }

  /** `address` in canonical form (clientAddress), so one client always gets the same id. */
  issue(address: string, now: number): bigint {
    return this.mac(this.windowOf(now), address).readBigUInt64BE(0);
  }

  verify(id: bigint, address: string, now: number): boolean {
    if (id < 0n || id >= 1n << 64n) return false;
    const given = Buffer.alloc(8);
    given.writeBigUInt64BE(id);
    const current = this.windowOf(now);
    for (let w = current; w > current - this.windows; w--) {
      if (timingSafeEqual(given, this.mac(w, address))) return true;
    }
    return false;
  }

  private windowOf(now: number): number {
    return Math.floor(now / this.windowMs);
  }

  private mac(window: number, address: string): Buffer {
    return createHmac('sha256', this.secret).update(`${window}\n${address}`).digest().subarray(0, 8);
  }
}
