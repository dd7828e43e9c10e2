import { seqAdd, seqDistance } from '../../protocol/utp/seq.js';

/**
 * Which in-flight packets a selective ack shows lost (libutp's rule, also libtorrent's): a packet
 * that is still unacknowledged while at least `DUP_THRESHOLD` packets sent after it were received.
 * Pure: `ackNr` is the cumulative ack, `sacked` the sequence numbers the selective ack reports,
 * `unacked(seq)` whether a packet is in flight and not yet acknowledged, `nextSeq` the next
 * sequence number to be sent (nothing at or after it is in flight).
 */
export const DUP_THRESHOLD = 3;

export function lostBySack(ackNr: number, sacked: readonly number[], unacked: (seq: number) => boolean, nextSeq: number): number[] {
  const inFlightSpan = seqDistance(ackNr, nextSeq);
  // Count received packets from the far end back towards ack_nr + 1.
  const received = new Set<number>();
  let furthest = 0;
  for (const seq of sacked) {
    const d = seqDistance(ackNr, seq);
    if (d === 0 || d >= inFlightSpan) continue;
    received.add(d);
    if (d > furthest) furthest = d;
  }
  const lost: number[] = [];
  let seenAfter = 0;
  for (let d = furthest; d >= 1; d--) {
    if (received.has(d)) seenAfter++;
    else if (seenAfter >= DUP_THRESHOLD && unacked(seqAdd(ackNr, d))) lost.push(seqAdd(ackNr, d));
  }
  return lost.reverse();
}
