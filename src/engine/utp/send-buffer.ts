import { seqAdd, seqDistance } from '../../protocol/utp/seq.js';

/** A packet sent and not yet acknowledged. */
export interface InFlightPacket {
  seq: number;
  type: number;
  payload: Buffer;
  /** When it was last sent (ms, injected clock). */
  sentAt: number;
  transmissions: number;
  /** Counted out of the in-flight bytes until it is sent again (it timed out or was found lost). */
  needsResend: boolean;
  /** Acknowledged by a selective ack (the cumulative ack has not reached it yet). */
  sacked: boolean;
}

/**
 * The sending half of a uTP connection: bytes written and not yet packetised (`queued`), and
 * packets in flight by sequence number, oldest first. Bounded by the caller: it stops taking
 * writes past its buffer limit, and never has more than `maxPackets` in flight.
 */
export class SendBuffer {
  /** The next sequence number to use. */
  nextSeq: number;
  /** The last sequence number the peer acknowledged cumulatively. */
  ackedSeq: number;
  /** Payload bytes sent and neither acknowledged nor marked for resending. */
  inFlightBytes = 0;
  private readonly packets = new Map<number, InFlightPacket>();
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  queuedBytes = 0;

  constructor(
    firstSeq: number,
    readonly maxPackets: number,
  ) {
    this.nextSeq = firstSeq;
    this.ackedSeq = seqAdd(firstSeq, -1);
  }

  get packetCount(): number {
    return this.packets.size;
  }

  /** Bytes the connection holds for sending: queued plus in flight (or waiting to be resent). */
  get heldBytes(): number {
    return this.queuedBytes + this.unackedBytes;
  }

  /** Payload bytes of every packet not yet acknowledged cumulatively. */
  private unackedBytes = 0;

  enqueue(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
  }

  /** Takes up to `max` queued bytes as one payload (copied only when it spans several writes). */
  take(max: number): Buffer {
    const want = Math.min(max, this.queuedBytes);
    const first = this.queue[this.queueHead];
    if (first && first.length >= want) {
      const out = first.subarray(0, want);
      if (first.length === want) this.shift();
      else this.queue[this.queueHead] = first.subarray(want);
      this.queuedBytes -= want;
      return out;
    }
    const out = Buffer.allocUnsafe(want);
    let at = 0;
    while (at < want) {
      const head = this.queue[this.queueHead]!;
      const n = Math.min(head.length, want - at);
      head.copy(out, at, 0, n);
      at += n;
      if (n === head.length) this.shift();
      else this.queue[this.queueHead] = head.subarray(n);
    }
    this.queuedBytes -= want;
    return out;
  }

  private shift(): void {
    this.queue[this.queueHead++] = undefined as unknown as Buffer;
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Registers a packet just sent with the next sequence number. */
  sent(type: number, payload: Buffer, now: number): InFlightPacket {
    const packet: InFlightPacket = { seq: this.nextSeq, type, payload, sentAt: now, transmissions: 1, needsResend: false, sacked: false };
    this.packets.set(packet.seq, packet);
    this.unackedBytes += payload.length;
    this.nextSeq = seqAdd(this.nextSeq, 1);
    this.inFlightBytes += payload.length;
    return packet;
  }

  get(seq: number): InFlightPacket | undefined {
    return this.packets.get(seq);
  }

  /** Whether `ackNr` acknowledges something sent (not beyond the last sequence number used, not far behind). */
  isPlausibleAck(ackNr: number): boolean {
    const sent = seqDistance(this.ackedSeq, seqAdd(this.nextSeq, -1));
    const ahead = seqDistance(this.ackedSeq, ackNr);
    return ahead <= sent || ahead >= 0x10000 - 64;
  }

  /** Removes every packet up to `ackNr` (cumulative ack); returns them. */
  ackUpTo(ackNr: number): InFlightPacket[] {
    const acked: InFlightPacket[] = [];
    const count = seqDistance(this.ackedSeq, ackNr);
    if (count === 0 || count >= 0x8000) return acked;
    for (let k = 1; k <= count; k++) {
      const seq = seqAdd(this.ackedSeq, k);
      const packet = this.packets.get(seq);
      if (!packet) continue;
      this.packets.delete(seq);
      this.unackedBytes -= packet.payload.length;
      if (!packet.needsResend && !packet.sacked) this.inFlightBytes -= packet.payload.length;
      acked.push(packet);
    }
    this.ackedSeq = ackNr;
    return acked;
  }

  /** A selective ack reached this packet: it no longer counts in flight (kept until the cumulative ack passes it). */
  markSacked(packet: InFlightPacket): boolean {
    if (packet.sacked) return false;
    if (!packet.needsResend) this.inFlightBytes -= packet.payload.length;
    packet.sacked = true;
    packet.needsResend = false;
    return true;
  }

  markLost(packet: InFlightPacket): void {
    if (packet.needsResend || packet.sacked) return;
    packet.needsResend = true;
    this.inFlightBytes -= packet.payload.length;
  }

  /** Sent again: it counts in flight once more. */
  resent(packet: InFlightPacket, now: number): void {
    if (packet.needsResend) this.inFlightBytes += packet.payload.length;
    packet.needsResend = false;
    packet.sentAt = now;
    packet.transmissions++;
  }

  /** Packets waiting to be resent, oldest first. */
  *toResend(): Iterable<InFlightPacket> {
    for (const p of this.packets.values()) if (p.needsResend) yield p;
  }

  /** The oldest packet not yet acknowledged. */
  oldest(): InFlightPacket | undefined {
    for (const p of this.packets.values()) if (!p.sacked) return p;
    return undefined;
  }

  /** Every packet in flight (timeouts mark them all lost). */
  all(): Iterable<InFlightPacket> {
    return this.packets.values();
  }

  clear(): void {
    this.packets.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.inFlightBytes = 0;
    this.unackedBytes = 0;
  }
}
