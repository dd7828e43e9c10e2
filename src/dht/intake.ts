/*
 * Per-source and total rate limits on incoming datagrams, checked before anything is parsed, so a
 * flood costs a map lookup per datagram. Token buckets; at most `maxSources` addresses remembered
 * (the least recently heard is forgotten), so spoofed sources cannot grow memory. Mutable, time
 * passed in.
 */

export interface IntakeOptions {
  perSourceBurst: number;
  perSourcePerSecond: number;
  totalBurst: number;
  totalPerSecond: number;
  maxSources: number;
}

/**
 * An honest node sends us a few queries a second at most (its lookups and refreshes); a lookup of
 * ours brings one answer per query. 20 a second per address, 1000 in all, is far above both.
 */
export const DEFAULT_INTAKE: IntakeOptions = { perSourceBurst: 40, perSourcePerSecond: 20, totalBurst: 2000, totalPerSecond: 1000, maxSources: 4096 };

interface Bucket {
  tokens: number;
  at: number;
}

export type IntakeVerdict = 'accepted' | 'over-total-limit' | 'over-source-limit';

export class Intake {
  readonly options: IntakeOptions;
  private readonly total: Bucket;
  private readonly sources = new Map<string, Bucket>();

  constructor(now: number, options: Partial<IntakeOptions> = {}) {
    this.options = { ...DEFAULT_INTAKE, ...options };
    this.total = { tokens: this.options.totalBurst, at: now };
  }

  admit(source: string, now: number): IntakeVerdict {
    const o = this.options;
    refill(this.total, now, o.totalBurst, o.totalPerSecond);
    if (this.total.tokens < 1) return 'over-total-limit';
    let bucket = this.sources.get(source);
    if (bucket) {
      refill(bucket, now, o.perSourceBurst, o.perSourcePerSecond);
      this.sources.delete(source); // re-inserted last: the most recently heard
    } else {
      bucket = { tokens: o.perSourceBurst, at: now };
    }
    this.sources.set(source, bucket);
    while (this.sources.size > o.maxSources) this.sources.delete(this.sources.keys().next().value!);
    if (bucket.tokens < 1) return 'over-source-limit';
    bucket.tokens--;
    this.total.tokens--;
    return 'accepted';
  }
}

function refill(bucket: Bucket, now: number, burst: number, perSecond: number): void {
  const elapsed = Math.max(0, now - bucket.at);
  bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
  bucket.at = Math.max(now, bucket.at);
}
