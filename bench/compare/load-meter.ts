// The load generator's clock and counters: announces answered inside the measured window, after
// the warm-up, and which peer announces next.
import { PEERS } from './tracker-traffic.js';

export interface Worker {
  /** Sends the first requests once the clock runs; resolves when the run is over. */
  run(): Promise<void>;
}

class Meter {
  /** Set by start(), once every socket is ready: setup is not measured. */
  measureFrom = Infinity;
  endAt = Infinity;
  done = 0;
  failed = 0;
  connections = 0;
  /** What the first refused announce said, so a tracker that refuses everything is told apart from a slow one. */
  firstFailure: string | undefined;
  private nextPeer = 0;

  start(warmupMs: number, measuredMs: number): void {
    this.measureFrom = performance.now() + warmupMs;
    this.endAt = this.measureFrom + measuredMs;
  }

  get over(): boolean {
    return performance.now() >= this.endAt;
  }

  count(ok: boolean, why?: string): void {
    if (!ok && why) this.firstFailure ??= why;
    const now = performance.now();
    if (now < this.measureFrom || now > this.endAt) return;
    if (ok) this.done++;
    else this.failed++;
  }

  takePeer(): number {
    const peer = this.nextPeer;
    this.nextPeer = (this.nextPeer + 1) % PEERS;
    return peer;
  }

  async untilOver(): Promise<void> {
    while (!this.over) await new Promise((r) => setTimeout(r, Math.min(100, this.endAt - performance.now())));
  }
}

export const meter = new Meter();
