import { Observable, share } from 'rxjs';
import { type ActorRefFrom, type InspectionEvent, type Observer, createActor, waitFor } from 'xstate';
import { type DhtNodeEmitted, type DhtNodeInput, dhtNodeMachine } from './actors/dht-node.js';
import { type DhtStats, dhtNodeId, dhtNodes, dhtOpened, dhtStats } from './actors/dht-node-queries.js';
import { SYSTEM_IDS } from './actors/ids.js';
import type { Clock } from './env/clock.js';
import { type DhtSocketFactory, udpDhtSocket } from './env/dht-socket.js';
import type { NodeContact, PeerContact } from './protocol/krpc/index.js';

/**
 * A Mainline DHT node (BEP 5) as a service: the DHT actor (src/actors/dht-node.ts) on one UDP
 * socket. The Session owns one (feeding peers to torrents and magnet fetches, announcing its
 * torrents); `actorrent dht` runs one alone.
 */
export interface MainlineDhtOptions {
  /** UDP port; 0 picks one. */
  port: number;
  /** Bind to this address (default: every IPv4 address). */
  host?: string;
  clock: Clock;
  rng: () => number;
  socketFactory?: DhtSocketFactory;
  nodeId?: Buffer;
  bootstrap?: PeerContact[];
  savedNodes?: NodeContact[];
  /** BEP 42 (default true); loopback test networks turn it off… though loopback is exempt anyway. */
  enforceNodeId?: boolean;
  readOnly?: boolean;
  /** Tuning for tests and the simulator. */
  tuning?: Pick<DhtNodeInput, 'queryTimeoutMs' | 'routing' | 'lookup' | 'peerStore' | 'intake'>;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  onPeers?: (infoHash: string, peers: PeerContact[]) => void;
}

export type { DhtStats } from './actors/dht-node-queries.js';

export class MainlineDht {
  /** `ready`, `failed`, `peers`, `lookup-done`, `warning`. */
  readonly events$: Observable<DhtNodeEmitted>;
  private readonly actor: ActorRefFrom<typeof dhtNodeMachine>;
  private closing?: Promise<void>;

  constructor(private readonly options: MainlineDhtOptions) {
    const factory = options.socketFactory ?? udpDhtSocket;
    this.actor = createActor(dhtNodeMachine, {
      systemId: SYSTEM_IDS.dht,
      clock: options.clock,
      inspect: options.inspect,
      input: {
        openSocket: () => factory({ host: options.host, port: options.port }),
        clock: options.clock,
        rng: options.rng,
        nodeId: options.nodeId,
        bootstrap: options.bootstrap,
        savedNodes: options.savedNodes,
        enforceNodeId: options.enforceNodeId,
        readOnly: options.readOnly,
        onPeers: options.onPeers,
        ...options.tuning,
      },
    });
    const actor = this.actor;
    this.events$ = new Observable<DhtNodeEmitted>((subscriber) => {
      const events = actor.on('*', (event) => subscriber.next(event as DhtNodeEmitted));
      return () => events.unsubscribe();
    }).pipe(share());
    actor.start();
  }

  /** Resolves once the socket is open (with the port), rejects if it cannot be. */
  async opened(): Promise<number> {
    return dhtOpened(this.actor);
  }

  get nodeId(): Buffer {
    return dhtNodeId(this.actor);
  }

  /** Looks the infohash up now and every 15 minutes (sooner while nobody is found); `announce` also announces us. */
  track(infoHash: Buffer, announce?: { port: number; impliedPort?: boolean; seed?: boolean }): void {
    this.actor.send({ type: 'TRACK', infoHash, announce: announce && { port: announce.port, impliedPort: announce.impliedPort ?? false, seed: announce.seed } });
  }

  untrack(infoHash: string): void {
    this.actor.send({ type: 'UNTRACK', infoHash: infoHash.toLowerCase() });
  }

  /** A node heard of elsewhere (a peer's BEP 5 `port` message): pinged, and kept if it answers. */
  addNode(host: string, port: number): void {
    this.actor.send({ type: 'ADD_NODE', host, port });
  }

  stats(): DhtStats {
    return dhtStats(this.actor, this.options.clock.now());
  }

  /** The routing table's nodes, to save and pass back as `savedNodes` next time. */
  nodes(): NodeContact[] {
    return dhtNodes(this.actor);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.actor.send({ type: 'STOP' });
      await waitFor(this.actor, (s) => s.status !== 'active', { timeout: 5000 }).catch(() => undefined);
      this.actor.stop();
    })();
    return this.closing;
  }
}
