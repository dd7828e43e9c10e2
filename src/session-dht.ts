import type { InspectionEvent, Observer } from 'xstate';
import type { WireTapPeer } from './actors/torrent.js';
import type { WireTap } from './engine/peer-wire.js';
import type { Clock } from './env/clock.js';
import type { DhtSocketFactory } from './env/dht-socket.js';
import { MainlineDht, type MainlineDhtOptions } from './mainline-dht.js';
import type { NodeContact, PeerContact } from './protocol/krpc/index.js';
import { parsePeerAddress } from './protocol/peer-address.js';
import { messageOf } from './util/message-of.js';

/** What a Session's DHT is given (SessionOptions.dht). */
export interface SessionDhtOptions {
  /** UDP port; default the listening port's number (so the uTP issue can share it), 0 picks one. */
  port?: number;
  /** Nodes to start from: `actorrent dht` nodes, or the well-known routers (names allowed). */
  bootstrap?: PeerContact[];
  /** The routing table saved by an earlier run. */
  savedNodes?: NodeContact[];
  nodeId?: Buffer;
  socket?: DhtSocketFactory;
  /** BEP 42 checks (default on; loopback and private addresses are exempt anyway). */
  enforceNodeId?: boolean;
  tuning?: MainlineDhtOptions['tuning'];
}

/**
 * The Session's side of the DHT: starts the node on the peer port's number (or the one asked for),
 * announces the session's torrents with the peer port (implied_port when both ports are the same
 * number, as libtorrent does for a shared socket), and learns nodes from peers' BEP 5 `port`
 * messages by watching each connection's wire.
 */
export class SessionDht {
  private constructor(
    readonly dht: MainlineDht,
    readonly port: number,
    private readonly peerPort: number,
  ) {}

  /** The DHT, or why it could not start (the session goes on without it). */
  static async start(
    options: SessionDhtOptions,
    session: { host?: string; peerPort: number; clock: Clock; rng: () => number; inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void); onPeers: (infoHash: string, peers: PeerContact[]) => void },
  ): Promise<SessionDht | { error: string }> {
    const wanted = options.port ?? session.peerPort;
    const open = async (port: number) => {
      const dht = new MainlineDht({
        port,
        host: session.host,
        clock: session.clock,
        rng: session.rng,
        socketFactory: options.socket,
        nodeId: options.nodeId,
        bootstrap: options.bootstrap,
        savedNodes: options.savedNodes,
        enforceNodeId: options.enforceNodeId,
        tuning: options.tuning,
        inspect: session.inspect,
        onPeers: session.onPeers,
      });
      try {
        return { dht, port: await dht.opened() };
      } catch (err) {
        await dht.close();
        return { error: messageOf(err) };
      }
    };
    let opened = await open(wanted);
    // The peer port's number taken on UDP (another client's DHT): any port will do.
    if ('error' in opened && options.port === undefined && wanted !== 0) opened = await open(0);
    if ('error' in opened) return { error: `cannot open the DHT's UDP port ${wanted}: ${opened.error}` };
    return new SessionDht(opened.dht, opened.port, session.peerPort);
  }

  /** Looks the torrent up, and announces us as a peer on the peer port. */
  track(infoHash: Buffer, seed = false): void {
    this.dht.track(infoHash, { port: this.peerPort, impliedPort: this.port === this.peerPort, seed });
  }

  untrack(infoHashHex: string): void {
    this.dht.untrack(infoHashHex);
  }

  /** The session's wire tap for a connection, plus: a peer's `port` message makes its node a candidate. */
  tap(user: ((peer: WireTapPeer) => WireTap | undefined) | undefined): (peer: WireTapPeer) => WireTap | undefined {
    return (peer) => {
      const inner = user?.(peer);
      const host = parsePeerAddress(peer.address)?.host;
      if (!host) return inner;
      return (direction, message) => {
        inner?.(direction, message);
        if (direction === 'in' && message.type === 'port' && message.port > 0) this.dht.addNode(host, message.port);
      };
    };
  }

  close(): Promise<void> {
    return this.dht.close();
  }
}
