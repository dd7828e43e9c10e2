import type { DhtSocket } from '../env/dht-socket.js';
import type { Clock } from '../env/clock.js';

/**
 * A TCP-like bulk flow over datagrams, to share a simulated bottleneck with uTP: Reno's
 * additive increase (one packet per round trip) and multiplicative decrease (half, at most once per
 * round trip) on loss, which it detects from three later packets acknowledged, or a 1 s silence.
 * It fills the bottleneck's queue until it drops, which is the behaviour LEDBAT must yield to. It
 * does not retransmit: it measures goodput, not a byte stream.
 */
export class BulkFlow {
  /** Packets the receiver got. */
  delivered = 0;
  deliveredBytes = 0;
  cwnd = 2;
  private nextSeq = 0;
  private readonly outstanding = new Map<number, number>();
  private lastCut = -Infinity;
  private lastAckAt = 0;
  private srtt = 100;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly sender: DhtSocket,
    private readonly receiver: DhtSocket,
    private readonly clock: Clock,
    private readonly packetBytes = 1400,
  ) {
    receiver.onDatagram(({ data, host, port }) => {
      if (data.length < 4 || data[0] !== 0xb0) return;
      this.delivered++;
      this.deliveredBytes += data.length;
      receiver.send(Buffer.concat([Buffer.from([0xb1]), data.subarray(1, 5)]), host, port);
    });
    sender.onDatagram(({ data }) => {
      if (data[0] === 0xb1 && data.length >= 5) this.onAck(data.readUInt32BE(1));
    });
  }

  start(): void {
    this.lastAckAt = this.clock.now();
    this.fill();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  private tick(): void {
    this.timer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.clock.now() - this.lastAckAt > 1000 && this.outstanding.size > 0) {
        this.outstanding.clear();
        this.cwnd = 1;
        this.lastAckAt = this.clock.now();
        this.fill();
      }
      this.tick();
    }, 100);
  }

  private onAck(seq: number): void {
    const sentAt = this.outstanding.get(seq);
    if (sentAt === undefined) return;
    const now = this.clock.now();
    this.outstanding.delete(seq);
    this.lastAckAt = now;
    this.srtt = 0.875 * this.srtt + 0.125 * (now - sentAt);
    let lost = 0;
    for (const s of this.outstanding.keys()) {
      if (s + 3 > seq) break;
      this.outstanding.delete(s);
      lost++;
    }
    if (lost > 0 && now - this.lastCut > this.srtt) {
      this.cwnd = Math.max(1, this.cwnd / 2);
      this.lastCut = now;
    } else if (lost === 0) {
      this.cwnd += 1 / this.cwnd;
    }
    this.fill();
  }

  private fill(): void {
    if (this.stopped) return;
    while (this.outstanding.size < Math.floor(this.cwnd)) {
      const packet = Buffer.alloc(this.packetBytes);
      packet[0] = 0xb0;
      packet.writeUInt32BE(this.nextSeq, 1);
      this.outstanding.set(this.nextSeq++, this.clock.now());
      this.sender.send(packet, this.receiver.address, this.receiver.port);
    }
  }
}
