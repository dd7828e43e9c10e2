// The load generator's clock and counters: announces answered inside the measured window, after
// the warm-up, and which peer announces next. Per announce it only counts: the window's edges are
// two timers that snapshot the counters, so no clock is read per packet.
import { PEERS } from './tracker-traffic.js';

export interface Worker {
  /** Sends the first requests once the clock runs; resolves when the run is over. */
  run(): Promise<void>;
}

class Meter {
  /** Set by the timer at the window's end: workers stop sending. */
  over = false;
  connections = 0;
  /** What the first refused announce said, so a tracker that refuses everything is told apart from a slow one. */
  firstFailure: string | undefined;
  private answered = 0;
  private refused = 0;
  private atStart = { answered: 0, refused: 0, ms: 0 };
  private atEnd = { answered: 0, refused: 0, ms: 0 };
  private nextPeer = 0;
  private ended: Promise<void> = new Promise(() => undefined);

  /** Starts the clock: the warm-up, then the measured window. */
  start(warmupMs: number, measuredMs: number): void {
    const snapshot = () => ({ answered: this.answered, refused: this.refused, ms: performance.now() });
    setTimeout(() => (this.atStart = snapshot()), warmupMs);
    this.ended = new Promise((resolve) =>
      setTimeout(() => {
        this.atEnd = snapshot();
        this.over = true;
        resolve();
      }, warmupMs + measuredMs),
    );
  }

  ok(): void {
    this.answered++;
  }

  /** `why` is built only for a failure, and kept only for the first. */
  fail(why?: () => string): void {
    this.refused++;
    if (why && this.firstFailure === undefined) this.firstFailure = why();
  }

  /** Answers and failures inside the window, and its true length (timers fire a little late). */
  get done(): number {
    return this.atEnd.answered - this.atStart.answered;
  }

  get failed(): number {
    return this.atEnd.refused - this.atStart.refused;
  }

  get seconds(): number {
    return (this.atEnd.ms - this.atStart.ms) / 1000;
  }

  takePeer(): number {
    const peer = this.nextPeer;
    this.nextPeer = peer + 1 === PEERS ? 0 : peer + 1;
    return peer;
  }

  untilOver(): Promise<void> {
    return this.ended;
  }
}

export const meter = new Meter();
