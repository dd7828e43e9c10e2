import { Duplex } from 'node:stream';
import type { Clock } from '../../env/clock.js';
import type { PeerSocket } from '../../env/transport.js';
import { addDelaySample, delayAboveBase, emptyDelayHistory, type DelayHistory } from '../../policy/utp/delay-history.js';
import { DEFAULT_LEDBAT, type Ledbat, type LedbatConfig, initialLedbat, onAck, onLoss, onTimeout } from '../../policy/utp/ledbat.js';
import { DUP_THRESHOLD, lostBySack } from '../../policy/utp/loss.js';
import { type RttEstimate, addRttSample, retransmitTimeout } from '../../policy/utp/rtt.js';
import { ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, type UtpPacket, type UtpType, encodeUtpHeader, sackedSeqs } from '../../protocol/utp/packet.js';
import { seqAdd, seqLess } from '../../protocol/utp/seq.js';
import type { UtpLifecycle, UtpLifecycleEvent, UtpLifecycleFactory, UtpLifecycleState } from './lifecycle.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { type InFlightPacket, SendBuffer } from './send-buffer.js';

/** What a connection needs from its port (the UtpEndpoint): time, a way out, and a way to leave. */
export interface UtpSocketHost {
  clock: Clock;
  /** Microseconds for packet timestamps (32 bits are used; a finer clock than `clock`). */
  micros(): number;
  /** Runs `fn` once the datagrams being delivered now are all processed (acks and sends are batched). */
  defer(fn: () => void): void;
  send(datagram: Buffer, host: string, port: number): void;
  /** The connection reached a final state. */
  forget(socket: UtpSocket): void;
  /** An incoming connection was confirmed (the peer's first data): hand it to the listener. */
  established(socket: UtpSocket): void;
}

export interface UtpConnectionConfig {
  /** Payload bytes of a full packet (src/policy/utp/packet-size.ts). */
  mss: number;
  /** Receive window we advertise, bytes (readable buffer plus reorder buffer). */
  receiveWindow: number;
  /** Bytes written and not yet acknowledged before `write` waits (our send buffer). */
  sendBuffer: number;
  /** Packets in flight at most. */
  maxInFlightPackets: number;
  connectTimeoutMs: number;
  /** Retransmissions of one packet before the connection is declared dead. */
  maxResends: number;
  ledbat?: Partial<Omit<LedbatConfig, 'mss'>>;
}

export const DEFAULT_UTP_CONFIG: Omit<UtpConnectionConfig, 'mss'> = {
  receiveWindow: 1024 * 1024,
  sendBuffer: 1024 * 1024,
  maxInFlightPackets: 2048,
  connectTimeoutMs: 10_000,
  maxResends: 6,
};

export interface UtpSocketInit {
  host: UtpSocketHost;
  remoteAddress: string;
  remotePort: number;
  /** Connection id we receive on, and the one we send with. */
  recvId: number;
  sendId: number;
  initiator: boolean;
  /** Our first sequence number (the SYN's, when we dial). */
  firstSeq: number;
  /** When accepting: the SYN's sequence number (our first ack). */
  synSeq?: number;
  config: UtpConnectionConfig;
  /** The connection's lifecycle machine (src/actors/utp-connection.ts: `startUtpConnection`). */
  lifecycle: UtpLifecycleFactory;
}

const EMPTY = Buffer.alloc(0);
/** uTorrent sometimes sends this for "no sample" (libtorrent ignores it too). */
const NO_SAMPLE = 0x7fffffff;

/**
 * One uTP connection as a byte stream (a PeerSocket like a TCP socket, so MSE and the wire codec
 * run over it unchanged). The per-packet path is plain code: acks, selective acks, the reorder
 * buffer, LEDBAT and retransmission run here on every packet; the lifecycle (connect, FIN, RESET,
 * timeouts) is the utpConnection machine's to decide.
 *
 * Backpressure: a write completes once its bytes are queued while the send buffer (queued plus
 * unacknowledged) is under `sendBuffer`; past it the write waits for acks, so `write()` returns
 * false and 'drain' follows as on TCP. Inbound: the window we advertise shrinks with what the
 * reader has not consumed; data beyond it is dropped (not acked), so memory stays bounded even
 * against a peer that ignores our window.
 */
export class UtpSocket extends Duplex implements PeerSocket {
  readonly transport = 'utp' as const;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly recvId: number;
  readonly sendId: number;
  readonly initiator: boolean;
  /** Settles when the connection is established (or fails to be). */
  readonly connected: Promise<void>;
  state: UtpLifecycleState;
  /** Reached `connected` once (an accepted connection stops being half-open). */
  confirmed = false;
  /** Counters for tests and stats. */
  readonly counts = { packetsSent: 0, packetsReceived: 0, retransmits: 0, fastRetransmits: 0, timeouts: 0, dropped: 0, acksSent: 0 };

  private readonly host: UtpSocketHost;
  private readonly config: UtpConnectionConfig;
  private readonly ledbatConfig: LedbatConfig;
  private readonly out: SendBuffer;
  private readonly in: ReceiveBuffer;
  private readonly lifecycle: UtpLifecycle;
  private ledbat: Ledbat;
  private rtt: RttEstimate = { rttVar: 0 };
  private delays: DelayHistory;
  /** The last few queuing delays (µs): the lowest is used, filtering jitter (libtorrent keeps 3). */
  private readonly recentDelays: number[] = [];
  /** Their send time to our receive time, µs: echoed in every packet we send. */
  private replyMicro = 0;
  private peerWindow: number;
  private duplicateAcks = 0;
  private timeoutsInARow = 0;
  private timer: unknown;
  private timerAt = Infinity;
  private deadline = Infinity;
  private ackDue = false;
  private flushScheduled = false;
  private lastAdvertised = 0;
  private pendingWrite?: () => void;
  /** In-order payloads received in this batch of datagrams: handed to the reader as one chunk. */
  private delivery: Buffer[] = [];
  private deliveryBytes = 0;
  private finDelivery = false;
  private ending = false;
  private finSent = false;
  private resolveConnected!: () => void;
  private rejectConnected!: (err: Error) => void;

  constructor(init: UtpSocketInit) {
    super({ allowHalfOpen: false, readableHighWaterMark: 256 * 1024, writableHighWaterMark: 64 * 1024 });
    this.host = init.host;
    this.config = init.config;
    this.remoteAddress = init.remoteAddress;
    this.remotePort = init.remotePort;
    this.recvId = init.recvId;
    this.sendId = init.sendId;
    this.initiator = init.initiator;
    this.ledbatConfig = { ...DEFAULT_LEDBAT, ...init.config.ledbat, mss: init.config.mss };
    this.ledbat = initialLedbat(this.ledbatConfig);
    this.delays = emptyDelayHistory(init.host.clock.now());
    this.peerWindow = init.config.mss;
    this.out = new SendBuffer(init.firstSeq, init.config.maxInFlightPackets);
    const maxReorder = Math.max(16, Math.ceil(init.config.receiveWindow / init.config.mss));
    this.in = new ReceiveBuffer(init.synSeq ?? 0, maxReorder);
    this.connected = new Promise<void>((resolve, reject) => {
      this.resolveConnected = resolve;
      this.rejectConnected = reject;
    });
    this.connected.catch(() => undefined);
    this.state = init.initiator ? 'synSent' : 'synReceived';
    this.lifecycle = init.lifecycle(
      {
        initiator: init.initiator,
        connectTimeoutMs: init.config.connectTimeoutMs,
        onState: (state, reason) => this.enter(state, reason),
        sendFin: () => this.sendFin(),
      },
      init.host.clock,
    );
    if (init.initiator) {
      const syn = this.out.sent(ST_SYN, EMPTY, this.host.clock.now());
      this.transmit(syn);
      this.armTimer();
    } else {
      this.sendState();
    }
  }

  /** Congestion window, bytes (tests and stats). */
  get cwnd(): number {
    return this.ledbat.cwnd;
  }

  get rttMs(): number | undefined {
    return this.rtt.rtt;
  }

  get bytesInFlight(): number {
    return this.out.inFlightBytes;
  }

  /** Bytes held for sending (queued and unacknowledged) plus received and not consumed: this connection's memory. */
  get bufferedBytes(): number {
    return this.out.heldBytes + this.in.bufferedBytes + this.readableLength;
  }

  // ─── packets in ───────────────────────────────────────────────────────────

  /** A packet for this connection (the endpoint matched its connection id and source). */
  receive(packet: UtpPacket): void {
    if (this.isFinal()) return;
    this.counts.packetsReceived++;
    const now = this.host.clock.now();
    if (packet.timestampMicros !== 0) this.replyMicro = (this.host.micros() - packet.timestampMicros) >>> 0;
    if (packet.type === ST_RESET) return this.signal({ type: 'RESET' });
    if (packet.type === ST_SYN) {
      // Our answer was lost: answer again.
      if (this.state === 'synReceived') this.sendState();
      return;
    }
    if (this.state === 'synSent') {
      if (packet.ackNr !== seqAdd(this.out.nextSeq, -1)) return;
      // The STATE answering our SYN carries the sequence number of their first data packet.
      this.in.ackNr = seqAdd(packet.seqNr, -1);
      this.signal({ type: 'SYN_ACKED' });
    }
    if (!this.out.isPlausibleAck(packet.ackNr)) {
      // An ack of something never sent: forged or broken. Ignore the whole packet.
      this.counts.dropped++;
      return;
    }
    this.peerWindow = packet.windowSize;
    this.processAck(packet, now);
    if (packet.type === ST_DATA || packet.type === ST_FIN) this.processData(packet);
    this.scheduleFlush();
  }

  private processAck(packet: UtpPacket, now: number): void {
    const inFlightBefore = this.out.inFlightBytes;
    let ackedBytes = 0;
    /** The lowest round trip among the packets this ack covers: a bound on their one-way delay. */
    let ackRtt = Infinity;
    const sampleRtt = (p: InFlightPacket) => {
      if (p.transmissions !== 1) return;
      this.rtt = addRttSample(this.rtt, now - p.sentAt);
      ackRtt = Math.min(ackRtt, now - p.sentAt);
    };
    const acked = this.out.ackUpTo(packet.ackNr);
    for (const p of acked) {
      if (!p.sacked) {
        ackedBytes += p.payload.length;
        sampleRtt(p);
      }
      if (p.type === ST_FIN) this.signal({ type: 'FIN_ACKED' });
    }
    if (acked.length > 0) {
      this.duplicateAcks = 0;
      this.timeoutsInARow = 0;
      this.deadline = this.out.packetCount > 0 ? now + retransmitTimeout(this.rtt, 0) : Infinity;
    } else if (packet.ackNr === this.out.ackedSeq && packet.type === ST_STATE && this.out.packetCount > 0) {
      if (++this.duplicateAcks === DUP_THRESHOLD) {
        const oldest = this.out.oldest();
        if (oldest) this.lost(oldest, now);
      }
    }
    if (packet.sack) {
      const sacked = sackedSeqs(packet.ackNr, packet.sack);
      for (const seq of sacked) {
        const p = this.out.get(seq);
        if (!p || p.sacked) continue;
        const counted = !p.needsResend;
        this.out.markSacked(p);
        if (counted) ackedBytes += p.payload.length;
        sampleRtt(p);
      }
      for (const seq of lostBySack(packet.ackNr, sacked, (s) => this.isUnacked(s), this.out.nextSeq)) this.lost(this.out.get(seq)!, now);
    }
    let delay: number | undefined;
    const sample = packet.timestampDiffMicros;
    if (sample !== 0 && sample !== NO_SAMPLE) {
      this.delays = addDelaySample(this.delays, sample, now);
      this.recentDelays.push(delayAboveBase(this.delays, sample));
      if (this.recentDelays.length > 3) this.recentDelays.shift();
      delay = Math.min(...this.recentDelays);
      // A one-way delay is never above the round trip it was part of (clock drift makes raw samples wander).
      if (ackRtt !== Infinity) delay = Math.min(delay, ackRtt * 1000);
    }
    if (ackedBytes > 0 && inFlightBefore > 0) {
      const saturated = this.out.queuedBytes > 0 || inFlightBefore + this.config.mss > this.ledbat.cwnd;
      this.ledbat = onAck(this.ledbat, { acked: ackedBytes, inFlight: inFlightBefore, delayMicros: delay, saturated }, this.ledbatConfig);
    }
    if (acked.length > 0 || ackedBytes > 0) this.releaseWrite();
  }

  private isUnacked(seq: number): boolean {
    const p = this.out.get(seq);
    return p !== undefined && !p.sacked && !p.needsResend;
  }

  /**
   * Fast retransmit: resend it at the next flush, cut the window (once per window of packets).
   * A resent packet is not declared lost again until a round trip has passed since the resend:
   * acks still missing it may have left before the resend arrived (resending on each of them was
   * a storm); after a round trip they mean the resend was lost too, which is cheaper to repair
   * now than after a retransmission timeout.
   */
  private lost(packet: InFlightPacket, now: number): void {
    if (packet.needsResend || packet.sacked) return;
    if (packet.transmissions > 1 && now - packet.sentAt < 1.5 * (this.rtt.rtt ?? Infinity)) return;
    this.out.markLost(packet);
    this.counts.fastRetransmits++;
    this.ledbat = onLoss(this.ledbat, !seqLess(packet.seq, this.ledbat.lossSeqLimit), now, this.out.nextSeq, this.ledbatConfig);
  }

  private processData(packet: UtpPacket): void {
    if (this.state === 'synReceived') this.signal({ type: 'DATA' });
    if (this.isFinal()) return;
    const fin = packet.type === ST_FIN;
    // Past the window we advertised (a peer ignoring it): drop, unacked, so memory stays bounded.
    if (!fin && this.readableLength + this.deliveryBytes + this.in.bufferedBytes + packet.payload.length > 2 * this.config.receiveWindow) {
      this.counts.dropped++;
      this.ackDue = true;
      return;
    }
    const arrival = this.in.accept(packet.seqNr, packet.payload, fin);
    this.ackDue = true;
    if (arrival.kind !== 'delivered') {
      if (arrival.kind === 'out-of-window') this.counts.dropped++;
      return;
    }
    for (const payload of arrival.payloads) {
      this.delivery.push(payload);
      this.deliveryBytes += payload.length;
    }
    if (arrival.fin) this.finDelivery = true;
  }

  /**
   * Hands what arrived in order to the reader, once per batch of datagrams: one chunk instead of
   * one per packet, so the wire decoder above sees block-sized pieces as it does on TCP.
   */
  private deliver(): void {
    if (this.deliveryBytes > 0) {
      const chunk = this.delivery.length === 1 ? this.delivery[0]! : Buffer.concat(this.delivery, this.deliveryBytes);
      this.delivery = [];
      this.deliveryBytes = 0;
      this.push(chunk);
    }
    if (this.finDelivery) {
      this.finDelivery = false;
      this.push(null);
      this.signal({ type: 'FIN_RECEIVED' });
    }
  }

  // ─── packets out ──────────────────────────────────────────────────────────

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.host.defer(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends what the windows allow: resends first, then new data in full packets, then the FIN or an ack. */
  private flush(): void {
    if (!this.isFinal()) this.deliver();
    if (this.isFinal() || this.state !== 'connected') {
      if (this.ackDue && this.state === 'synReceived') this.sendState();
      return;
    }
    const now = this.host.clock.now();
    const mss = this.config.mss;
    const window = Math.max(mss, Math.min(this.ledbat.cwnd, this.peerWindow));
    for (const p of this.out.toResend()) {
      if (this.out.inFlightBytes > 0 && this.out.inFlightBytes + p.payload.length > window) break;
      this.out.resent(p, now);
      this.counts.retransmits++;
      this.transmit(p);
    }
    while (this.out.queuedBytes > 0 && this.out.packetCount < this.out.maxPackets) {
      const size = Math.min(this.out.queuedBytes, mss);
      // Nagle: a part-filled packet waits while data is in flight (more writes will fill it), unless we are closing.
      if (size < mss && this.out.inFlightBytes > 0 && !this.ending) break;
      if (this.out.inFlightBytes > 0 && this.out.inFlightBytes + size > window) break;
      // The peer's window is closed: wait for its update (or probe on the retransmission timer).
      if (this.out.inFlightBytes === 0 && this.peerWindow < size && this.out.packetCount > 0) break;
      const packet = this.out.sent(ST_DATA, this.out.take(size), now);
      this.transmit(packet);
    }
    if (this.ending && !this.finSent && this.out.queuedBytes === 0) this.signal({ type: 'END' });
    if (this.ackDue) this.sendState();
    if (this.out.packetCount > 0 || this.out.queuedBytes > 0) this.armTimer();
    this.releaseWrite();
  }

  private transmit(packet: InFlightPacket): void {
    const header = this.header(packet.type as UtpType, packet.seq);
    const datagram = packet.payload.length === 0 ? header : Buffer.concat([header, packet.payload], header.length + packet.payload.length);
    this.counts.packetsSent++;
    this.ackDue = false;
    this.host.send(datagram, this.remoteAddress, this.remotePort);
  }

  /** An ST_STATE: acks what we received, advertises our window; its sequence number is the next one we will use. */
  private sendState(): void {
    this.ackDue = false;
    this.counts.acksSent++;
    this.host.send(this.header(ST_STATE, this.out.nextSeq), this.remoteAddress, this.remotePort);
  }

  private header(type: UtpType, seq: number): Buffer {
    const window = this.receiveWindow();
    this.lastAdvertised = window;
    return encodeUtpHeader(
      {
        type,
        connectionId: type === ST_SYN ? this.recvId : this.sendId,
        timestampMicros: this.host.micros() >>> 0,
        timestampDiffMicros: this.replyMicro,
        windowSize: window,
        seqNr: seq,
        ackNr: type === ST_SYN ? 0 : this.in.ackNr,
      },
      type === ST_SYN ? undefined : this.in.sack(),
    );
  }

  private receiveWindow(): number {
    return Math.max(0, this.config.receiveWindow - this.readableLength - this.deliveryBytes - this.in.bufferedBytes);
  }

  private sendFin(): void {
    if (this.finSent) return;
    this.finSent = true;
    const fin = this.out.sent(ST_FIN, EMPTY, this.host.clock.now());
    this.transmit(fin);
    this.armTimer();
  }

  // ─── timers ───────────────────────────────────────────────────────────────

  /** One timer per connection, moved lazily: it fires at the earliest deadline and re-arms if the deadline moved on. */
  private armTimer(): void {
    const now = this.host.clock.now();
    if (this.deadline === Infinity || this.deadline < now) this.deadline = now + retransmitTimeout(this.rtt, this.timeoutsInARow);
    if (this.timer !== undefined && this.timerAt <= this.deadline) return;
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer);
    this.timerAt = this.deadline;
    this.timer = this.host.clock.setTimeout(() => this.onTimer(), this.deadline - now);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.deadline = Infinity;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.isFinal()) return;
    const now = this.host.clock.now();
    if (this.out.packetCount === 0 && this.out.queuedBytes === 0) {
      this.deadline = Infinity;
      return;
    }
    if (now < this.deadline) return this.armTimer();
    this.deadline = Infinity;
    if (this.out.packetCount === 0) {
      // Nothing in flight yet data waits: the peer's window was closed. Probe with one packet.
      if (this.state === 'connected') {
        const packet = this.out.sent(ST_DATA, this.out.take(this.config.mss), now);
        this.transmit(packet);
      }
      this.armTimer();
      return;
    }
    this.timeoutsInARow++;
    this.counts.timeouts++;
    const limit = this.state === 'synSent' ? 3 : this.config.maxResends;
    if (this.timeoutsInARow > limit) {
      this.signal({ type: 'TIMED_OUT', reason: `no acknowledgement after ${this.timeoutsInARow} retransmissions` });
      return;
    }
    this.ledbat = onTimeout(this.ledbat, this.out.inFlightBytes === 0 && this.state === 'connected', this.out.nextSeq, this.ledbatConfig);
    for (const p of this.out.all()) this.out.markLost(p);
    const oldest = this.out.oldest();
    if (oldest) {
      this.out.resent(oldest, now);
      this.counts.retransmits++;
      this.transmit(oldest);
    }
    this.armTimer();
  }

  // ─── lifecycle ────────────────────────────────────────────────────────────

  private signal(event: UtpLifecycleEvent): void {
    this.lifecycle.send(event);
  }

  private isFinal(): boolean {
    return this.state === 'closed' || this.state === 'reset' || this.state === 'timedOut';
  }

  /** The machine entered a state: do what it means for the stream. */
  private enter(state: UtpLifecycleState, reason?: string): void {
    this.state = state;
    if (state === 'connected') {
      this.confirmed = true;
      this.resolveConnected();
      if (!this.initiator) this.host.established(this);
      this.scheduleFlush();
      return;
    }
    if (state !== 'closed' && state !== 'reset' && state !== 'timedOut') return;
    this.stopTimer();
    this.host.forget(this);
    const error = state === 'closed' ? undefined : Object.assign(new Error(reason ?? state), { code: state === 'reset' ? 'ECONNRESET' : 'ETIMEDOUT' });
    this.rejectConnected(error ?? new Error('connection closed before it was established'));
    this.pendingWrite = undefined;
    this.out.clear();
    if (!this.destroyed) {
      if (!error && !this.readableEnded) this.push(null);
      // Never established: nobody holds the socket to hear an 'error' (a dial learns why from `connected`).
      this.destroy(this.confirmed ? error : undefined);
    }
  }

  // ─── the stream ───────────────────────────────────────────────────────────

  override _read(): void {
    // The reader caught up: if our last window kept the sender waiting, tell it the window opened.
    if (this.state === 'connected' && this.lastAdvertised < this.config.mss && this.receiveWindow() >= this.config.mss) {
      this.ackDue = true;
      this.scheduleFlush();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.queue(chunk);
    this.afterQueue(callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) this.queue(chunk);
    this.afterQueue(callback);
  }

  private queue(chunk: Buffer): void {
    this.out.enqueue(chunk);
  }

  private afterQueue(callback: (error?: Error | null) => void): void {
    if (this.isFinal()) return callback(new Error('write after the uTP connection closed'));
    this.scheduleFlush();
    if (this.out.heldBytes < this.config.sendBuffer) return callback();
    this.pendingWrite = () => callback();
  }

  private releaseWrite(): void {
    if (!this.pendingWrite || this.out.heldBytes >= this.config.sendBuffer) return;
    const done = this.pendingWrite;
    this.pendingWrite = undefined;
    done();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ending = true;
    if (this.state === 'connected') this.scheduleFlush();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.isFinal()) {
      // A courtesy FIN so the peer closes at once rather than timing out (it is not retransmitted).
      if (this.state === 'connected' && !this.finSent) {
        this.finSent = true;
        this.transmit({ seq: this.out.nextSeq, type: ST_FIN, payload: EMPTY, sentAt: 0, transmissions: 1, needsResend: false, sacked: false });
      }
      this.signal({ type: 'DESTROY' });
    }
    this.stopTimer();
    this.lifecycle.stop();
    callback(error);
  }
}

