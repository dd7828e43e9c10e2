import { seededRng } from '../env/rng.js';
import { MainlineDht } from '../mainline-dht.js';
import type { PeerContact } from '../protocol/krpc/index.js';
import type { DhtNodeEmitted } from '../actors/dht-node.js';
import { SimClock } from './sim-clock.js';
import { SimNetwork } from './sim-network.js';
import { SimUdp } from './sim-udp.js';
import { runSimulation } from './scheduler.js';

/**
 * A simulated Mainline DHT: `count` real DHT actors (src/mainline-dht.ts) on SimUdp datagrams over
 * a SimNetwork, one host each (10.x addresses), on one SimClock. Node 0 is the bootstrap node every
 * other node starts from (as `actorrent dht` is on a private network); nodes join `joinSpacingMs`
 * apart. Deterministic: the same seed gives the same node ids, the same timings, the same run.
 */
export interface DhtSimOptions {
  count: number;
  seed: number;
  latencyMs?: number;
  joinSpacingMs?: number;
  port?: number;
}

export interface SimDhtNode {
  index: number;
  address: string;
  dht: MainlineDht;
  /** Peers found per infohash (hex). */
  found: Map<string, PeerContact[]>;
  events: DhtNodeEmitted[];
}

export class DhtSimNetwork {
  readonly clock = new SimClock();
  readonly network: SimNetwork;
  readonly udp: SimUdp;
  readonly nodes: SimDhtNode[] = [];
  private readonly rng: () => number;

  constructor(readonly options: DhtSimOptions) {
    this.rng = seededRng(options.seed);
    this.network = new SimNetwork({ clock: this.clock, rng: seededRng(options.seed + 1), defaultLink: { latencyMs: options.latencyMs ?? 20 } });
    this.udp = new SimUdp(this.network, seededRng(options.seed + 2));
  }

  static address(index: number): string {
    return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${(index & 255) + 1}`;
  }

  /** Starts every node, `joinSpacingMs` apart, each bootstrapping from node 0; runs until all have joined. */
  async start(): Promise<void> {
    const port = this.options.port ?? 6881;
    for (let i = 0; i < this.options.count; i++) {
      const address = DhtSimNetwork.address(i);
      const node: SimDhtNode = { index: i, address, dht: undefined as unknown as MainlineDht, found: new Map(), events: [] };
      node.dht = new MainlineDht({
        port,
        host: address,
        clock: this.clock,
        rng: seededRng(Math.floor(this.rng() * 2 ** 32)),
        socketFactory: this.udp.factory(address),
        bootstrap: i === 0 ? [] : [{ host: DhtSimNetwork.address(0), port }],
        onPeers: (infoHash, peers) => node.found.set(infoHash, [...(node.found.get(infoHash) ?? []), ...peers]),
      });
      node.dht.events$.subscribe((e) => node.events.push(e));
      this.nodes.push(node);
      await this.run(this.options.joinSpacingMs ?? 50);
    }
  }

  /** Runs the simulation for `ms` of simulated time (or until `until` holds). */
  async run(ms: number, until?: () => boolean): Promise<void> {
    await runSimulation(this.clock, { deadline: this.clock.now() + ms, until, maxSteps: 2_000_000 });
  }

  /** Takes a node off the network: its datagrams are lost both ways (it just vanished). */
  vanish(index: number): void {
    this.network.host(this.nodes[index]!.address).goOffline();
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dht.close()));
  }
}
