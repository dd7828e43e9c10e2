/**
 * Round-trip time and the retransmission timeout, as libutp and libtorrent compute them (RFC 6298
 * smoothing): rtt += (sample − rtt)/8, rttVar += (|rtt − sample| − rttVar)/4, timeout =
 * max(minimum, rtt + 4·rttVar), doubled per timeout in a row, capped at 60 s. Pure, in ms.
 */
export interface RttEstimate {
  /** Smoothed RTT; undefined before the first sample. */
  readonly rtt?: number;
  readonly rttVar: number;
  /** The lowest sample seen: a bound on one-way delay (libtorrent clamps the LEDBAT delay with it). */
  readonly minRtt?: number;
}

export const MIN_TIMEOUT_MS = 500;
export const MAX_TIMEOUT_MS = 60_000;
/** Before any sample (a SYN): libtorrent waits 3 s, libutp 3 s; we resend sooner and more often. */
export const INITIAL_TIMEOUT_MS = 1000;

export function addRttSample(estimate: RttEstimate, sampleMs: number): RttEstimate {
  const sample = Math.max(0, sampleMs);
  const minRtt = estimate.minRtt === undefined ? sample : Math.min(estimate.minRtt, sample);
  if (estimate.rtt === undefined) return { rtt: sample, rttVar: sample / 2, minRtt };
  const rttVar = estimate.rttVar + (Math.abs(estimate.rtt - sample) - estimate.rttVar) / 4;
  const rtt = estimate.rtt + (sample - estimate.rtt) / 8;
  return { rtt, rttVar, minRtt };
}

/** The retransmission timeout after `timeoutsInARow` timeouts without progress. */
export function retransmitTimeout(estimate: RttEstimate, timeoutsInARow: number, minimum = MIN_TIMEOUT_MS): number {
  const base = estimate.rtt === undefined ? INITIAL_TIMEOUT_MS : Math.max(minimum, estimate.rtt + 4 * estimate.rttVar);
  return Math.min(MAX_TIMEOUT_MS, base * 2 ** Math.min(timeoutsInARow, 7));
}
