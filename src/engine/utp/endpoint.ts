import type { Clock } from '../../env/clock.js';
import { DEFAULT_UTP_ADMISSION, type UtpAdmissionLimits, admitSyn } from '../../policy/utp/admission.js';
import { maxPayload } from '../../policy/utp/packet-size.js';
import { ProtocolError } from '../../protocol/errors.js';
import { ST_RESET, ST_SYN, type UtpPacket, decodeUtpPacket, encodeUtpPacket } from '../../protocol/utp/packet.js';
import type { UtpLifecycleFactory } from './lifecycle.js';
import { DEFAULT_UTP_CONFIG, type UtpConnectionConfig, UtpSocket, type UtpSocketHost } from './utp-socket.js';

/** What the endpoint sends and receives through: one channel of a UDP port (src/env/datagram-port.ts). */
export interface DatagramLink {
  send(data: Buffer, host: string, port: number): void;
}

export interface UtpEndpointOptions {
  clock: Clock;
  /** Each connection's lifecycle machine (src/actors/utp-connection.ts: `startUtpConnection`). */
  lifecycle: UtpLifecycleFactory;
  /** Microseconds for timestamps; default the clock's ms × 1000 (the simulator's). */
  micros?: () => number;
  /** Runs a function after the datagrams being delivered now (default: a 0 ms timer on `clock`). */
  defer?: (fn: () => void) => void;
  /** Connection ids and first sequence numbers. */
  rng: () => number;
  limits?: Partial<UtpAdmissionLimits>;
  config?: Partial<Omit<UtpConnectionConfig, 'mss'>>;
  /** Override the payload per packet (default from the path MTU, src/policy/utp/packet-size.ts). */
  mss?: number;
  /** RESETs sent to strays per second at most (no amplification of floods). */
  maxResetsPerSecond?: number;
}

export interface UtpEndpointCounts {
  datagrams: number;
  malformed: number;
  synsAccepted: number;
  synsRefused: number;
  resetsSent: number;
  strays: number;
}

/**
 * The uTP side of one UDP port: routes each packet to its connection by (address, port,
 * connection id), answers SYNs when listening (within the admission limits, src/policy/utp/admission.ts),
 * answers strays with a rate-limited ST_RESET, and dials. An incoming connection reaches the
 * listener only once the peer has sent data, so a SYN flood from forged addresses costs a bounded
 * number of half-open entries that time out, and the Server never sees them.
 */
export class UtpEndpoint {
  readonly counts: UtpEndpointCounts = { datagrams: 0, malformed: 0, synsAccepted: 0, synsRefused: 0, resetsSent: 0, strays: 0 };
  private readonly connections = new Map<string, UtpSocket>();
  private readonly perAddress = new Map<string, { all: number; halfOpen: number }>();
  private halfOpen = 0;
  private onConnection?: (socket: UtpSocket) => void;
  private readonly limits: UtpAdmissionLimits;
  private readonly host: UtpSocketHost;
  private resetWindowStart = 0;
  private resetsInWindow = 0;
  /** Called when the last connection is gone and nobody listens (the port may be released). */
  onIdle?: () => void;

  constructor(
    private readonly link: DatagramLink,
    private readonly options: UtpEndpointOptions,
  ) {
    this.limits = { ...DEFAULT_UTP_ADMISSION, ...options.limits };
    const clock = options.clock;
    this.host = {
      clock,
      micros: options.micros ?? (() => Math.floor(clock.now() * 1000)),
      defer: options.defer ?? ((fn) => void clock.setTimeout(fn, 0)),
      send: (data, host, port) => link.send(data, host, port),
      forget: (socket) => this.forget(socket),
      established: (socket) => this.established(socket),
    };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The live connections (stats, tests). */
  sockets(): UtpSocket[] {
    return [...this.connections.values()];
  }

  get halfOpenCount(): number {
    return this.halfOpen;
  }

  get listening(): boolean {
    return this.onConnection !== undefined;
  }

  listen(onConnection: (socket: UtpSocket) => void): void {
    this.onConnection = onConnection;
  }

  stopListening(): void {
    this.onConnection = undefined;
    if (this.connections.size === 0) this.onIdle?.();
  }

  /** One datagram the demultiplexer classified as uTP. Never throws. */
  receive(data: Buffer, host: string, port: number): void {
    this.counts.datagrams++;
    let packet: UtpPacket;
    try {
      packet = decodeUtpPacket(data);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.counts.malformed++;
      return;
    }
    const recvId = packet.type === ST_SYN ? (packet.connectionId + 1) & 0xffff : packet.connectionId;
    const socket = this.connections.get(key(host, port, recvId));
    if (socket) return socket.receive(packet);
    if (packet.type === ST_SYN) return this.accept(packet, host, port, recvId);
    this.counts.strays++;
    if (packet.type !== ST_RESET) this.reset(packet, host, port);
  }

  /** Dials `host:port`; resolves once the SYN is answered. */
  async connect(host: string, port: number, timeoutMs: number): Promise<UtpSocket> {
    let recvId = 0;
    for (let tries = 0; ; tries++) {
      recvId = Math.floor(this.options.rng() * 0x10000) & 0xffff;
      const taken = this.connections.has(key(host, port, recvId)) || this.connections.has(key(host, port, (recvId + 1) & 0xffff));
      if (!taken) break;
      if (tries > 64) throw new Error(`no free uTP connection id towards ${host}:${port}`);
    }
    const socket = this.create(host, port, recvId, (recvId + 1) & 0xffff, true, undefined, timeoutMs);
    await socket.connected;
    return socket;
  }

  /** Resets every connection (the port is closing). */
  destroyAll(): void {
    for (const socket of [...this.connections.values()]) socket.destroy();
  }

  private accept(syn: UtpPacket, host: string, port: number, recvId: number): void {
    const onConnection = this.onConnection;
    const here = this.perAddress.get(host);
    const verdict = admitSyn(
      { connections: this.connections.size, halfOpen: this.halfOpen, fromAddress: here?.all ?? 0, halfOpenFromAddress: here?.halfOpen ?? 0 },
      this.limits,
    );
    if (!onConnection || !verdict.admit) {
      this.counts.synsRefused++;
      return this.reset(syn, host, port);
    }
    this.counts.synsAccepted++;
    this.create(host, port, recvId, syn.connectionId, false, syn.seqNr, this.options.config?.connectTimeoutMs ?? DEFAULT_UTP_CONFIG.connectTimeoutMs);
  }

  private create(host: string, port: number, recvId: number, sendId: number, initiator: boolean, synSeq: number | undefined, connectTimeoutMs: number): UtpSocket {
    const k = key(host, port, recvId);
    const count = this.perAddress.get(host) ?? { all: 0, halfOpen: 0 };
    count.all++;
    if (!initiator) {
      count.halfOpen++;
      this.halfOpen++;
    }
    this.perAddress.set(host, count);
    const socket = new UtpSocket({
      host: this.host,
      remoteAddress: host,
      remotePort: port,
      recvId,
      sendId,
      initiator,
      firstSeq: Math.floor(this.options.rng() * 0x10000) & 0xffff,
      synSeq,
      config: { ...DEFAULT_UTP_CONFIG, ...this.options.config, connectTimeoutMs, mss: this.options.mss ?? maxPayload(host) },
      lifecycle: this.options.lifecycle,
    });
    // A socket may reach a final state inside its constructor (never in practice); register only live ones.
    if (socket.state === 'synSent' || socket.state === 'synReceived') this.connections.set(k, socket);
    return socket;
  }

  private established(socket: UtpSocket): void {
    const count = this.perAddress.get(socket.remoteAddress);
    if (count) count.halfOpen--;
    this.halfOpen--;
    const onConnection = this.onConnection;
    if (onConnection) onConnection(socket);
    else socket.destroy();
  }

  private forget(socket: UtpSocket): void {
    const k = key(socket.remoteAddress, socket.remotePort, socket.recvId);
    if (this.connections.get(k) !== socket) return;
    this.connections.delete(k);
    const count = this.perAddress.get(socket.remoteAddress);
    if (count) {
      count.all--;
      // An acceptor that never got data leaves the half-open count too.
      if (!socket.initiator && !socket.confirmed) {
        count.halfOpen--;
        this.halfOpen--;
      }
      if (count.all <= 0) this.perAddress.delete(socket.remoteAddress);
    }
    if (this.connections.size === 0 && !this.onConnection) this.onIdle?.();
  }

  private reset(packet: UtpPacket, host: string, port: number): void {
    const now = this.options.clock.now();
    if (now - this.resetWindowStart >= 1000) {
      this.resetWindowStart = now;
      this.resetsInWindow = 0;
    }
    if (this.resetsInWindow >= (this.options.maxResetsPerSecond ?? 50)) return;
    this.resetsInWindow++;
    this.counts.resetsSent++;
    const reset = encodeUtpPacket({
      type: ST_RESET,
      connectionId: packet.connectionId,
      timestampMicros: this.host.micros() >>> 0,
      timestampDiffMicros: 0,
      windowSize: 0,
      seqNr: Math.floor(this.options.rng() * 0x10000),
      ackNr: packet.seqNr,
    });
    this.link.send(reset, host, port);
  }
}

function key(host: string, port: number, recvId: number): string {
  return `${host}|${port}|${recvId}`;
}
