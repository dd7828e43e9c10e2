/**
 * Bytes per second over a sliding window of one-second buckets. Time is passed in, so the same
 * meter works on the system clock and in the simulator.
 */
export class RateMeter {
  private readonly buckets: Float64Array;
  private currentSecond = -1;
  private total = 0;

  constructor(private readonly windowSeconds = 5) {
    this.buckets = new Float64Array(windowSeconds);
  }

  add(bytes: number, nowMs: number): void {
    this.advance(nowMs);
    this.buckets[this.currentSecond % this.windowSeconds]! += bytes;
    this.total += bytes;
  }

  /** Average bytes/s over the window ending now. */
  rate(nowMs: number): number {
    this.advance(nowMs);
    let sum = 0;
    for (const b of this.buckets) sum += b;
    return sum / this.windowSeconds;
  }

  get totalBytes(): number {
    return this.total;
  }

  private advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (this.currentSecond < 0) this.currentSecond = second;
    if (second <= this.currentSecond) return;
    const steps = Math.min(second - this.currentSecond, this.windowSeconds);
    for (let i = 1; i <= steps; i++) this.buckets[(this.currentSecond + i) % this.windowSeconds] = 0;
    this.currentSecond = second;
  }
}
