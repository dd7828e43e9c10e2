import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LinkedList, type ListNode, listNode } from '../util/linked-list.js';
import { addressGroup } from './address-group.js';
import { type Clock, systemClock } from './clock.js';

/**
 * Connection rules for every HTTP server we run (the tracker, the dashboard), so that clients that
 * open connections and never finish a request cannot lock out the others:
 *
 * - a connection must complete its request's headers within `headersTimeoutMs` of connecting; after
 *   a response, a keep-alive connection may wait `idleTimeoutMs` for its next request;
 * - at `maxConnections`, a new connection evicts the oldest idle keep-alive connection, else the
 *   oldest one still awaiting its headers, and is refused only when every connection is in a request;
 * - at `maxPerAddress` from one address (an IPv4 address or an IPv6 /64), the same, among that
 *   address's connections.
 *
 * Node enforces its `headersTimeout` only every `connectionsCheckingInterval` (30 s) and resets new
 * connections at `server.maxConnections`; neither is used. Deadlines run on the injected clock with
 * one timer for all connections: each waiting phase has one timeout, so its queue in arrival order
 * is also in deadline order and only the two queue heads are ever due.
 */
export interface HttpGuardOptions {
  /** From connect until the request's headers are complete. Default 5 000 ms. */
  headersTimeoutMs?: number;
  /** From the end of a response until the next request's headers on a keep-alive connection. Default 15 000 ms. */
  idleTimeoutMs?: number;
  /** Open connections at once. Default 1024. */
  maxConnections?: number;
  /** Open connections from one address (an IPv6 /64 counts as one). Default 32. */
  maxPerAddress?: number;
  clock?: Clock;
  onEvent?(event: HttpGuardEvent): void;
}

export interface HttpGuardStats {
  open: number;
  evicted: number;
  refused: number;
  timedOut: number;
}

export interface HttpGuardEvent {
  type: 'evicted' | 'refused' | 'timed-out';
  /** The client's address as its socket reports it. */
  address: string;
  reason: string;
}

export interface HttpGuard {
  stats(): HttpGuardStats;
  /** The socket left HTTP (a WebSocket): it stays counted until it closes, but is never timed out or evicted. */
  upgraded(socket: Socket): void;
  /** Stops watching; the server's 'close' does it too. */
  detach(): void;
}

export const HTTP_GUARD_DEFAULTS = {
  headersTimeoutMs: 5_000,
  idleTimeoutMs: 15_000,
  maxConnections: 1024,
  maxPerAddress: 32,
} as const;

type Waiting = 'headers' | 'idle';
type Phase = Waiting | 'request' | 'upgraded';

class Connection {
  phase: Phase = 'headers';
  deadline = 0;
  /** Requests whose response has not finished (pipelining allows more than one). */
  inFlight = 0;
  gone = false;
  /** Its place in the guard's queue and in its address's queue, while waiting: made once, relinked at each wait. */
  readonly node: ListNode<Connection> = listNode(this);
  readonly groupNode: ListNode<Connection> = listNode(this);

  constructor(
    readonly socket: Socket,
    readonly address: string,
    readonly group: Group,
  ) {}
}

interface Group {
  readonly key: string;
  open: number;
  readonly waiting: Record<Waiting, LinkedList<Connection>>;
}

const waitingQueues = (): Record<Waiting, LinkedList<Connection>> => ({ headers: new LinkedList(), idle: new LinkedList() });

const DESCRIBE: Record<Waiting, string> = { headers: 'connection awaiting its headers', idle: 'idle keep-alive connection' };

export function guardHttpServer(server: Server, options: HttpGuardOptions = {}): HttpGuard {
  const settings: Settings = {
    headersTimeoutMs: options.headersTimeoutMs ?? HTTP_GUARD_DEFAULTS.headersTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? HTTP_GUARD_DEFAULTS.idleTimeoutMs,
    maxConnections: options.maxConnections ?? HTTP_GUARD_DEFAULTS.maxConnections,
    maxPerAddress: options.maxPerAddress ?? HTTP_GUARD_DEFAULTS.maxPerAddress,
    clock: options.clock ?? systemClock,
    onEvent: options.onEvent,
  };
  for (const name of ['headersTimeoutMs', 'idleTimeoutMs', 'maxConnections', 'maxPerAddress'] as const) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] < 1) throw new RangeError(`${name} must be a positive integer, not ${settings[name]}`);
  }
  return new Guard(server, settings);
}

type Settings = Required<Omit<HttpGuardOptions, 'onEvent'>> & Pick<HttpGuardOptions, 'onEvent'>;

class Guard implements HttpGuard {
  private readonly waiting = waitingQueues();
  private readonly groups = new Map<string, Group>();
  private readonly bySocket = new Map<Socket, Connection>();
  private readonly counts: HttpGuardStats = { open: 0, evicted: 0, refused: 0, timedOut: 0 };
  private timer: unknown;
  private timerAt = Infinity;
  private readonly timeouts: Record<Waiting, number>;

  constructor(
    private readonly server: Server,
    private readonly settings: Settings,
  ) {
    this.timeouts = { headers: settings.headersTimeoutMs, idle: settings.idleTimeoutMs };
    // Node then advertises `Keep-Alive: timeout=…` truthfully; its own timer (a second later) is only a backstop.
    server.keepAliveTimeout = settings.idleTimeoutMs;
    server.on('connection', this.onConnection);
    // First, so the response's 'close' cannot have fired before we listen to it.
    server.prependListener('request', this.onRequest);
    server.once('close', this.detach);
  }

  stats(): HttpGuardStats {
    return { ...this.counts };
  }

  upgraded(socket: Socket): void {
    const c = this.bySocket.get(socket);
    if (!c || c.gone) return;
    this.unqueue(c);
    c.phase = 'upgraded';
  }

  readonly detach = (): void => {
    this.server.off('connection', this.onConnection);
    this.server.off('request', this.onRequest);
    this.server.off('close', this.detach);
    if (this.timer !== undefined) this.settings.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  };

  private readonly onConnection = (socket: Socket): void => {
    const { maxConnections, maxPerAddress } = this.settings;
    const address = socket.remoteAddress ?? '';
    const key = addressGroup(address);
    const known = this.groups.get(key);
    if (known && known.open >= maxPerAddress) {
      if (!this.evictOldest(known.waiting, `per-address cap (${maxPerAddress}) for ${key}`)) {
        return this.refuse(socket, address, `per-address cap (${maxPerAddress}) for ${key}: every connection is in a request`);
      }
    }
    if (this.counts.open >= maxConnections && !this.evictOldest(this.waiting, `connection cap (${maxConnections})`)) {
      return this.refuse(socket, address, `connection cap (${maxConnections}): every connection is in a request`);
    }
    let group = this.groups.get(key);
    if (!group) {
      group = { key, open: 0, waiting: waitingQueues() };
      this.groups.set(key, group);
    }
    const c = new Connection(socket, address, group);
    group.open++;
    this.counts.open++;
    this.bySocket.set(socket, c);
    socket.once('close', () => this.forget(c));
    this.wait(c, 'headers');
  };

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const c = this.bySocket.get(req.socket);
    if (!c || c.gone || c.phase === 'upgraded') return;
    this.unqueue(c);
    c.phase = 'request';
    c.inFlight++;
    // 'close' follows 'finish', and also a response cut short: either way this request is over.
    res.on('close', this.onResponseClose);
  };

  /** One listener for every response (`this` is the response), rather than a closure per request. */
  private readonly onResponseClose = ((guard: Guard) =>
    function (this: ServerResponse) {
      guard.responded(this.req.socket);
    })(this);

  private responded(socket: Socket): void {
    const c = this.bySocket.get(socket);
    if (!c || c.gone) return;
    c.inFlight--;
    if (c.inFlight === 0 && c.phase === 'request') this.wait(c, 'idle');
  }

  private wait(c: Connection, phase: Waiting): void {
    this.unqueue(c);
    c.phase = phase;
    c.deadline = this.settings.clock.now() + this.timeouts[phase];
    this.waiting[phase].append(c.node);
    c.group.waiting[phase].append(c.groupNode);
    this.arm();
  }

  private unqueue(c: Connection): void {
    c.node.list?.remove(c.node);
    c.groupNode.list?.remove(c.groupNode);
  }

  private forget(c: Connection): void {
    if (c.gone) return;
    c.gone = true;
    this.unqueue(c);
    this.bySocket.delete(c.socket);
    this.counts.open--;
    if (--c.group.open === 0) this.groups.delete(c.group.key);
  }

  /** Evicts the oldest idle connection of these queues, else the oldest awaiting headers; false if neither has one. */
  private evictOldest(queues: Record<Waiting, LinkedList<Connection>>, why: string): boolean {
    const victim = queues.idle.first() ?? queues.headers.first();
    if (!victim) return false;
    this.end(victim, 'evicted', `${why}: the oldest ${DESCRIBE[victim.phase as Waiting]}`);
    return true;
  }

  private end(c: Connection, type: 'evicted' | 'timed-out', reason: string): void {
    this.forget(c);
    c.socket.destroy();
    if (type === 'evicted') this.counts.evicted++;
    else this.counts.timedOut++;
    this.settings.onEvent?.({ type, address: c.address, reason });
  }

  private refuse(socket: Socket, address: string, reason: string): void {
    socket.destroy();
    this.counts.refused++;
    this.settings.onEvent?.({ type: 'refused', address, reason });
  }

  /** One timer, for the earlier of the two queue heads (later entries are due later). */
  private arm(): void {
    const next = Math.min(this.waiting.headers.first()?.deadline ?? Infinity, this.waiting.idle.first()?.deadline ?? Infinity);
    if (next >= this.timerAt) return;
    const { clock } = this.settings;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = clock.setTimeout(this.expire, Math.max(0, next - clock.now()));
    // Deadlines matter only while sockets are open, and those keep the process alive if they should.
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.settings.clock.now();
    for (const phase of ['headers', 'idle'] as const) {
      const queue = this.waiting[phase];
      for (let c = queue.first(); c && c.deadline <= now; c = queue.first()) {
        this.end(c, 'timed-out', phase === 'headers' ? `no complete headers within ${this.timeouts.headers} ms` : `idle for ${this.timeouts.idle} ms`);
      }
    }
    this.arm();
  };
}
