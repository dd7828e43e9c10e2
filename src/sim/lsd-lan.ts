import type { Clock } from '../env/clock.js';
import type { LsdDatagram, LsdSocket, LsdSocketFactory } from '../env/lsd-socket.js';
import type { LsdFamily } from '../protocol/lsd.js';

/**
 * A LAN's multicast for Local Service Discovery, in memory: every socket opened on it hears every
 * datagram sent on it (its own too, as multicast loopback does), after `latencyMs` on the clock.
 * For the simulator and tests; it also records what was sent, and can inject datagrams from anyone.
 */
export class LsdLan {
  private readonly members = new Set<Member>();
  /** Every datagram sent, in order. */
  readonly sent: { from: string; family: LsdFamily; data: Buffer }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: { latencyMs?: number; families?: LsdFamily[] } = {},
  ) {}

  /** The socket factory of a host at `address` (the source every receiver sees). */
  factory(address: string, options: { fail?: string } = {}): LsdSocketFactory {
    return async () => {
      if (options.fail !== undefined) throw new Error(options.fail);
      const member: Member = { address, listeners: new Set(), errorListeners: new Set(), closed: false };
      this.members.add(member);
      return this.socketOf(member);
    };
  }

  /** Sockets open now. */
  get open(): number {
    return this.members.size;
  }

  /** A datagram from `address` (any host, even one with no socket here) to every member. */
  inject(address: string, data: Buffer, family: LsdFamily = 'IPv4'): void {
    this.deliver({ data, address, family });
  }

  private socketOf(member: Member): LsdSocket {
    return {
      families: this.options.families ?? ['IPv4'],
      warnings: [],
      send: async (family, data) => {
        if (member.closed) throw new Error('socket closed');
        this.sent.push({ from: member.address, family, data });
        this.deliver({ data, address: member.address, family });
      },
      onDatagram: (listener) => {
        member.listeners.add(listener);
        return () => member.listeners.delete(listener);
      },
      onError: (listener) => {
        member.errorListeners.add(listener);
        return () => member.errorListeners.delete(listener);
      },
      close: async () => {
        member.closed = true;
        this.members.delete(member);
      },
    };
  }

  private deliver(datagram: LsdDatagram): void {
    const latency = this.options.latencyMs ?? 0;
    const receivers = [...this.members];
    const send = () => {
      for (const member of receivers) {
        if (member.closed) continue;
        for (const listener of member.listeners) listener({ ...datagram, data: Buffer.from(datagram.data) });
      }
    };
    this.clock.setTimeout(send, latency);
  }
}

interface Member {
  address: string;
  listeners: Set<(datagram: LsdDatagram) => void>;
  errorListeners: Set<(error: Error) => void>;
  closed: boolean;
}
