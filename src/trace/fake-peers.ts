import type { Listener, PeerSocket, Transport } from '../env/transport.js';
import { FrameDecoder, type PeerMessage, decodeReserved, encodeHandshake, encodeMessage } from '../protocol/wire/index.js';
import { type MemorySocket, memorySocketPair } from '../env/memory-socket.js';
import type { SyntheticTorrent } from './synthetic-torrent.js';

/**
 * The remote peers of a replayed trace. Each plays back what one recorded connection received,
 * message by message, with two adaptations (the replayed actorrent picks its own pieces, so it does
 * not ask for the same blocks as the recorded run did):
 *
 * - a recorded inbound `piece` answers the recorded request if the replayed actorrent asked for it
 *   too, else its oldest open request to this peer, with the synthetic data (correct bytes); with
 *   nothing asked, the block is skipped;
 * - a recorded `reject` is sent only if that request is open; handshakes carry the synthetic
 *   torrent's infohash.
 *
 * Everything else (bitfield, have, choke, unchoke, requests, extension messages…) goes out as recorded.
 */

export interface ScriptedMessage {
  /** The trace line it came from. */
  line: number;
  msg: Record<string, unknown>;
}

export interface FakePeerStats {
  sent: number;
  skipped: number;
  blocksAnswered: number;
}

const key = (index: number, begin: number, length: number) => `${index}:${begin}:${length}`;

export class FakePeer {
  readonly stats: FakePeerStats = { sent: 0, skipped: 0, blocksAnswered: 0 };
  private socket: MemorySocket | undefined;
  private readonly queue: ScriptedMessage[] = [];
  /** The replayed actorrent's open requests to this peer, oldest first. */
  private readonly open = new Map<string, { index: number; begin: number; length: number }>();
  private readonly decoder = new FrameDecoder({ expectHandshake: true });
  private closeQueued = false;
  /** Both sides speak BEP 6: a choke does not drop requests (they are rejected one by one). */
  private ourFast = false;
  private theirFast = false;
  closed = false;

  constructor(
    readonly address: { host: string; port: number },
    private readonly torrent: SyntheticTorrent,
  ) {}

  get connected(): boolean {
    return this.socket !== undefined && !this.closed;
  }

  get openRequests(): number {
    return this.open.size;
  }

  /** The peer's end of the connection (called once the replayed node dialled it or was dialled). */
  connect(socket: MemorySocket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  enqueue(item: ScriptedMessage): void {
    this.queue.push(item);
  }

  enqueueClose(): void {
    this.closeQueued = true;
  }

  /** Messages due but not yet sendable (not connected yet). */
  get pending(): number {
    return this.queue.length;
  }

  /** Sends what is due; `settle` lets the replayed node react (e.g. request after an unchoke) before a block is owed. */
  async flush(settle: () => Promise<void>): Promise<void> {
    while (this.connected && this.queue.length > 0) {
      const item = this.queue.shift()!;
      if (item.msg['type'] === 'piece' && this.open.size === 0) await settle();
      if (!this.connected) break;
      this.send(item.msg);
    }
    if (this.closeQueued && this.queue.length === 0 && this.socket && !this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
  }

  private send(msg: Record<string, unknown>): void {
    const bytes = this.encode(msg);
    if (!bytes) {
      this.stats.skipped++;
      return;
    }
    this.stats.sent++;
    this.socket!.write(bytes);
    // BEP 3: our choke drops the requests we were sent; with BEP 6 they stay until rejected.
    if (msg['type'] === 'choke' && !(this.ourFast && this.theirFast)) this.open.clear();
  }

  private encode(msg: Record<string, unknown>): Buffer | undefined {
    const n = (name: string) => msg[name] as number;
    switch (msg['type']) {
      case 'handshake':
        this.ourFast = decodeReserved(Buffer.from(msg['reserved'] as string, 'hex')).fastExtension;
        return encodeHandshake({
          infoHash: this.torrent.meta.infoHash,
          peerId: Buffer.from(msg['peerId'] as string, 'hex'),
          reserved: Buffer.from(msg['reserved'] as string, 'hex'),
        });
      case 'handshake-sent':
        return undefined;
      case 'piece': {
        const recorded = key(n('index'), n('begin'), (msg['block'] as { length: number }).length);
        const request = this.open.get(recorded) ?? this.open.values().next().value;
        if (!request) return undefined;
        this.open.delete(key(request.index, request.begin, request.length));
        if (request.index >= this.torrent.meta.pieceCount) return undefined;
        this.stats.blocksAnswered++;
        return encodeMessage({ type: 'piece', index: request.index, begin: request.begin, block: this.torrent.block(request.index, request.begin, request.length) });
      }
      case 'reject': {
        const recorded = key(n('index'), n('begin'), n('length'));
        if (!this.open.delete(recorded)) return undefined;
        return encodeMessage({ type: 'reject', index: n('index'), begin: n('begin'), length: n('length') });
      }
      case 'bitfield':
        return encodeMessage({ type: 'bitfield', bitfield: Buffer.from(msg['bitfield'] as string, 'hex') });
      case 'extended':
        // A long payload was recorded as its hash only: it cannot be sent again.
        if (typeof msg['payload'] !== 'string') return undefined;
        return encodeMessage({ type: 'extended', id: n('id'), payload: Buffer.from(msg['payload'], 'hex') });
      default:
        return encodeMessage(plainMessage(msg));
    }
  }

  private read(chunk: Buffer): void {
    let messages;
    try {
      messages = this.decoder.push(chunk);
    } catch {
      // The replayed node sent garbage: it would be a bug, seen by the invariants through its own trace.
      return;
    }
    for (const m of messages) {
      if (m.type === 'request') this.open.set(key(m.index, m.begin, m.length), { index: m.index, begin: m.begin, length: m.length });
      else if (m.type === 'cancel') this.open.delete(key(m.index, m.begin, m.length));
      else if (m.type === 'handshake') this.theirFast = m.flags.fastExtension;
    }
  }
}

/** A message with only numeric fields (the read-trace validator checked them), as the codec wants it. */
function plainMessage(msg: Record<string, unknown>): PeerMessage {
  const out: Record<string, unknown> = { type: msg['type'] };
  for (const field of ['index', 'begin', 'length', 'port']) if (field in msg) out[field] = msg[field];
  return out as unknown as PeerMessage;
}

/**
 * The network of a replay: dialling an address connects to the fake peer waiting there (the next
 * recorded outgoing connection to it), anything else is refused; incoming connections are made by
 * the replay driver through `accept`.
 */
export class ReplayTransport implements Transport {
  private onConnection: ((socket: PeerSocket) => void) | undefined;
  private readonly waiting = new Map<string, FakePeer[]>();
  private nextPort = 40_000;

  constructor(private readonly local: { host: string; port: number }) {}

  async listen(_options: { host?: string; port: number }, onConnection: (socket: PeerSocket) => void): Promise<Listener> {
    this.onConnection = onConnection;
    return {
      address: this.local.host,
      port: this.local.port,
      close: async () => {
        this.onConnection = undefined;
      },
    };
  }

  async connect(options: { host: string; port: number }): Promise<PeerSocket> {
    const list = this.waiting.get(`${options.host}:${options.port}`);
    const peer = list?.shift();
    if (!peer) throw Object.assign(new Error(`connect ECONNREFUSED ${options.host}:${options.port}`), { code: 'ECONNREFUSED' });
    const { near, far } = memorySocketPair(peer.address, { host: this.local.host, port: this.nextPort++ });
    peer.connect(far);
    return near;
  }

  /** The next dial to the peer's address reaches it. */
  expectDial(peer: FakePeer): void {
    const id = `${peer.address.host}:${peer.address.port}`;
    const list = this.waiting.get(id) ?? [];
    list.push(peer);
    this.waiting.set(id, list);
  }

  /** The peer dials the replayed node; false when it is not listening. */
  accept(peer: FakePeer): boolean {
    if (!this.onConnection) return false;
    const { near, far } = memorySocketPair(peer.address, this.local);
    peer.connect(far);
    this.onConnection(near);
    return true;
  }
}
