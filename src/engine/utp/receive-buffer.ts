import { buildSack } from '../../protocol/utp/packet.js';
import { seqAdd, seqDistance } from '../../protocol/utp/seq.js';

/**
 * The receiving half of a uTP connection: `ackNr` is the last packet received in order; packets
 * that arrive ahead of it wait in a bounded reorder buffer until the gap is filled. Bounded memory:
 * a packet more than `maxReorder` ahead is dropped (the sender cannot have that much in flight
 * inside our window), and so is one past the peer's FIN.
 */
export type Arrival =
  /** Already received (a retransmission, a duplicate): only an ack is due. */
  | { kind: 'duplicate' }
  /** Too far ahead, or after the FIN: dropped. */
  | { kind: 'out-of-window' }
  /** Held until the gap before it is filled. */
  | { kind: 'buffered' }
  /** In order: these payloads (this packet's and any it released) go to the reader, in order; `fin` when the peer's FIN is now reached. */
  | { kind: 'delivered'; payloads: Buffer[]; fin: boolean };

export class ReceiveBuffer {
  /** The last sequence number received in order (what we ack). */
  ackNr: number;
  /** The peer's FIN, once seen (its sequence number). */
  finSeq: number | undefined;
  finReached = false;
  private readonly waiting = new Map<number, Buffer | 'fin'>();
  private waitingBytes = 0;

  constructor(
    ackNr: number,
    /** Most packets held out of order (a packet further ahead than this is dropped). */
    private readonly maxReorder: number,
  ) {
    this.ackNr = ackNr;
  }

  /** Bytes held out of order (they count against the window we advertise). */
  get bufferedBytes(): number {
    return this.waitingBytes;
  }

  get bufferedPackets(): number {
    return this.waiting.size;
  }

  /** A DATA (payload) or FIN (`fin`) packet with sequence number `seq`. */
  accept(seq: number, payload: Buffer, fin: boolean): Arrival {
    const ahead = seqDistance(this.ackNr, seq);
    if (ahead === 0 || ahead >= 0x8000) return { kind: 'duplicate' };
    if (ahead > this.maxReorder) return { kind: 'out-of-window' };
    if (this.finSeq !== undefined && seqDistance(this.ackNr, this.finSeq) < ahead) return { kind: 'out-of-window' };
    if (fin) this.finSeq = seq;
    if (ahead > 1) {
      if (this.waiting.has(seq)) return { kind: 'duplicate' };
      this.waiting.set(seq, fin ? 'fin' : payload);
      if (!fin) this.waitingBytes += payload.length;
      return { kind: 'buffered' };
    }
    const payloads: Buffer[] = [];
    let reachedFin = fin;
    if (!fin && payload.length > 0) payloads.push(payload);
    this.ackNr = seq;
    for (;;) {
      if (reachedFin) break;
      const next = seqAdd(this.ackNr, 1);
      const held = this.waiting.get(next);
      if (held === undefined) break;
      this.waiting.delete(next);
      this.ackNr = next;
      if (held === 'fin') reachedFin = true;
      else {
        this.waitingBytes -= held.length;
        if (held.length > 0) payloads.push(held);
      }
    }
    if (reachedFin) {
      this.finReached = true;
      this.waiting.clear();
      this.waitingBytes = 0;
    }
    return { kind: 'delivered', payloads, fin: reachedFin };
  }

  /** The selective ack of what waits out of order, or undefined when nothing does. */
  sack(): Buffer | undefined {
    if (this.waiting.size === 0) return undefined;
    let furthest = 0;
    for (const seq of this.waiting.keys()) furthest = Math.max(furthest, seqDistance(this.ackNr, seq));
    // Bit k stands for ack_nr + 2 + k.
    return buildSack(furthest - 1, (k) => this.waiting.has(seqAdd(this.ackNr, k + 2)));
  }
}
