/**
 * LEDBAT congestion control (BEP 29, RFC 6817), as libtorrent runs it: the window grows while the
 * one-way queuing delay is under the target and shrinks when it is over, so a uTP flow fills an
 * idle link yet yields to TCP (whose queue it would otherwise sit in).
 *
 *   under the target:  gain = GAIN · (acked / inFlight) · (target − delay) / target   (≤ GAIN bytes per RTT)
 *   over the target:   loss = cwnd · (acked / inFlight) · min(1/2, (delay − target) / target)
 *
 * The decrease over the target is multiplicative (LEDBAT++, draft-irtf-iccrg-ledbat-plus-plus
 * §4.2) rather than RFC 6817's linear −GAIN per RTT: with a deep queue the linear rule takes tens
 * of seconds to make room for a TCP flow (measured in src/sim/utp-yield.ts: 41 % of the link kept
 * after 20 s), the multiplicative one a few round trips.
 *
 * plus TCP-like slow start until the delay first reaches the target or a loss; a loss halves the
 * window at most once per RTT (and per 100 ms); a timeout drops it to one packet. The window never
 * falls below one packet, and is not grown while the sender does not fill it. Pure: numbers in,
 * a new state out; time in ms, delays in µs.
 */
export interface Ledbat {
  /** Congestion window, bytes. */
  readonly cwnd: number;
  readonly slowStart: boolean;
  /** Slow start ends above this (0: no threshold yet). */
  readonly ssthresh: number;
  /** Losses of packets sent before this sequence number do not cut the window again. */
  readonly lossSeqLimit: number;
  /** No cut before this time (ms). */
  readonly nextCutAt: number;
}

export interface LedbatConfig {
  /** Target queuing delay, µs (100 ms). */
  targetMicros: number;
  /** Most the window grows per RTT in congestion avoidance, bytes (libtorrent: 3000). */
  gainBytes: number;
  /** One packet: the floor of the window. */
  mss: number;
  /** Ceiling of the window (memory bound per connection). */
  maxCwnd: number;
  /** Fraction kept on a loss (0.5). */
  lossFactor: number;
  /** At most one cut per this many ms. */
  cutIntervalMs: number;
}

export const DEFAULT_LEDBAT: Omit<LedbatConfig, 'mss'> = {
  targetMicros: 100_000,
  gainBytes: 3000,
  maxCwnd: 4 * 1024 * 1024,
  lossFactor: 0.5,
  cutIntervalMs: 100,
};

export function initialLedbat(config: Pick<LedbatConfig, 'mss'>): Ledbat {
  // Two packets to start (libutp starts at one; a second one halves the first round trip's wait).
  return { cwnd: 2 * config.mss, slowStart: true, ssthresh: 0, lossSeqLimit: 0, nextCutAt: 0 };
}

export interface AckSample {
  /** Payload bytes this ack newly acknowledged. */
  acked: number;
  /** Payload bytes in flight before it. */
  inFlight: number;
  /** Queuing delay (above the base), µs; undefined without a sample. */
  delayMicros: number | undefined;
  /** The sender had enough to send to fill the window. */
  saturated: boolean;
}

export function onAck(state: Ledbat, sample: AckSample, config: LedbatConfig): Ledbat {
  if (sample.acked <= 0 || sample.inFlight <= 0 || sample.delayMicros === undefined) return state;
  const target = Math.max(1, config.targetMicros);
  const delay = sample.delayMicros;
  let { slowStart, ssthresh } = state;
  if (delay >= target && slowStart) {
    slowStart = false;
    ssthresh = state.cwnd / 2;
  }
  const windowFactor = Math.min(1, sample.acked / sample.inFlight);
  const linear = delay <= target ? config.gainBytes * windowFactor * ((target - delay) / target) : -state.cwnd * windowFactor * Math.min(0.5, (delay - target) / target);
  let gain = 0;
  if (sample.saturated) {
    gain = linear;
    if (slowStart) {
      if (ssthresh !== 0 && state.cwnd + sample.acked > ssthresh) slowStart = false;
      else gain = Math.max(sample.acked, linear);
    }
  } else if (linear < 0) {
    // Over the target shrinks the window even when the sender is not filling it.
    gain = linear;
  }
  const cwnd = Math.min(config.maxCwnd, Math.max(config.mss, state.cwnd + gain));
  return { ...state, cwnd, slowStart, ssthresh };
}

/** A packet was lost (3 duplicate acks, or 3 packets selectively acked past it). */
export function onLoss(state: Ledbat, lostSeqAhead: boolean, now: number, nextSeq: number, config: LedbatConfig): Ledbat {
  // Only a packet sent after the last cut may cut again, and not within cutIntervalMs.
  if (!lostSeqAhead || now < state.nextCutAt) return state;
  const cwnd = Math.max(config.mss, state.cwnd * config.lossFactor);
  return { cwnd, slowStart: false, ssthresh: state.slowStart ? cwnd : state.ssthresh, lossSeqLimit: nextSeq, nextCutAt: now + config.cutIntervalMs };
}

/** The retransmission timer fired: one packet, slow start again (up to the threshold). An idle direction only decays. */
export function onTimeout(state: Ledbat, idle: boolean, nextSeq: number, config: LedbatConfig): Ledbat {
  if (idle) return { ...state, cwnd: Math.max(config.mss, (state.cwnd * 2) / 3) };
  return { cwnd: config.mss, slowStart: true, ssthresh: Math.max(state.ssthresh, 2 * config.mss), lossSeqLimit: nextSeq, nextCutAt: state.nextCutAt };
}
