import type { NodeContact } from '../protocol/krpc/index.js';
import { ID_BITS, commonPrefixBits, compareDistance, randomIdWithPrefix } from './node-id.js';

/*
 * The routing table of BEP 5: k-buckets over the id space, split only where our own id falls, so
 * we know many nodes near us and a few far away. Bounded: at most `maxBuckets` buckets of `k`
 * nodes and `k` replacements each.
 *
 * Liveness (BEP 5): a node is good when it answered one of our queries within the last 15 minutes,
 * or has answered one ever and sent us a query within the last 15 minutes; questionable after 15
 * minutes of silence; bad after `maxFailures` queries in a row went unanswered. A full bucket takes
 * a newcomer in place of a bad node; with questionable nodes, the newcomer waits in the replacement
 * cache while the least recently seen questionable node is pinged (the caller pings it: `ping`).
 *
 * A mutable structure with time passed in (no clock, no I/O): copying 160 buckets for every
 * datagram would cost more than it shows.
 */

export interface RoutingTableOptions {
  k: number;
  maxBuckets: number;
  /** Unanswered queries in a row before a node is bad. */
  maxFailures: number;
  /** Silence after which a node is questionable, and a bucket due for a refresh. */
  staleMs: number;
  /** At most one node per IP address (loopback exempt, where every test node shares one). */
  oneNodePerIp: boolean;
}

export const DEFAULT_ROUTING_OPTIONS: RoutingTableOptions = { k: 8, maxBuckets: ID_BITS, maxFailures: 2, staleMs: 15 * 60_000, oneNodePerIp: true };

export interface RoutingNode extends NodeContact {
  /** Anything heard from it (a query or a response). */
  lastSeen: number;
  /** Its last answer to one of our queries; undefined while it never answered. */
  lastResponse?: number;
  /** Queries in a row it left unanswered. */
  failures: number;
}

export type Liveness = 'good' | 'questionable' | 'bad';

interface Bucket {
  nodes: RoutingNode[];
  replacements: RoutingNode[];
  /** When a node in it last answered, or one was added: a bucket untouched for `staleMs` is refreshed. */
  lastChanged: number;
}

export type HeardResult =
  | { outcome: 'added' | 'updated' | 'replacement' | 'ignored'; ping?: RoutingNode }
  | { outcome: 'refused'; reason: string; ping?: undefined };

export class RoutingTable {
  readonly options: RoutingTableOptions;
  private readonly buckets: Bucket[];
  /** `host:port` → the node, in a bucket or among the replacements. */
  private readonly byAddress = new Map<string, RoutingNode>();

  constructor(
    readonly self: Buffer,
    now: number,
    options: Partial<RoutingTableOptions> = {},
  ) {
    this.options = { ...DEFAULT_ROUTING_OPTIONS, ...options };
    this.buckets = [{ nodes: [], replacements: [], lastChanged: now }];
  }

  /** Nodes in buckets (replacements not counted). */
  get size(): number {
    return this.buckets.reduce((n, b) => n + b.nodes.length, 0);
  }

  get bucketCount(): number {
    return this.buckets.length;
  }

  liveness(node: RoutingNode, now: number): Liveness {
    if (node.failures >= this.options.maxFailures) return 'bad';
    if (node.lastResponse !== undefined && now - node.lastResponse < this.options.staleMs) return 'good';
    if (node.lastResponse !== undefined && now - node.lastSeen < this.options.staleMs) return 'good';
    return 'questionable';
  }

  /** Per bucket: nodes, replacements and how many are good (for `actorrent dht` and the dashboard). */
  describe(now: number): { depth: number; nodes: number; good: number; replacements: number }[] {
    return this.buckets.map((b, depth) => ({
      depth,
      nodes: b.nodes.length,
      good: b.nodes.filter((n) => this.liveness(n, now) === 'good').length,
      replacements: b.replacements.length,
    }));
  }

  /** Every node in a bucket, closest buckets last (what is saved between runs). */
  all(): RoutingNode[] {
    return this.buckets.flatMap((b) => b.nodes);
  }

  find(host: string, port: number): RoutingNode | undefined {
    return this.byAddress.get(key(host, port));
  }

  /**
   * A message from a node: a response to our query (`answered`) or a query it sent us. Known nodes
   * are refreshed; a new one is added if there is room, replaces a bad node, splits our own bucket,
   * or waits among the replacements (with a questionable node to `ping`).
   */
  heard(contact: NodeContact, now: number, answered: boolean): HeardResult {
    if (contact.id.equals(this.self)) return { outcome: 'refused', reason: 'our own id' };
    if (contact.port === 0) return { outcome: 'refused', reason: 'port 0' };
    const known = this.byAddress.get(key(contact.host, contact.port));
    if (known) {
      if (!known.id.equals(contact.id)) {
        // Another id at a known address: a restarted node, or someone lying about it. Believe it only
        // once the old one stopped answering.
        if (this.liveness(known, now) !== 'bad' && known.lastResponse !== undefined) return { outcome: 'refused', reason: 'another id at a known address' };
        this.remove(known);
        return this.heard(contact, now, answered);
      }
      known.lastSeen = now;
      if (answered) {
        known.lastResponse = now;
        known.failures = 0;
        const bucket = this.bucketFor(known.id);
        if (bucket.nodes.includes(known)) bucket.lastChanged = now;
        else this.promoteIfRoom(bucket, known, now);
      }
      return { outcome: 'updated' };
    }
    if (this.options.oneNodePerIp && !isLoopback(contact.host) && this.hasIp(contact.host)) return { outcome: 'refused', reason: 'one node per IP address' };
    const node: RoutingNode = { id: contact.id, host: contact.host, port: contact.port, lastSeen: now, failures: 0, ...(answered ? { lastResponse: now } : {}) };
    for (;;) {
      const index = this.indexFor(node.id);
      const bucket = this.buckets[index]!;
      if (bucket.nodes.some((n) => n.id.equals(node.id))) return { outcome: 'ignored' };
      if (bucket.nodes.length < this.options.k) {
        this.insert(bucket.nodes, node);
        bucket.lastChanged = now;
        return { outcome: 'added' };
      }
      const bad = bucket.nodes.find((n) => this.liveness(n, now) === 'bad');
      if (bad) {
        this.drop(bucket.nodes, bad);
        this.insert(bucket.nodes, node);
        bucket.lastChanged = now;
        return { outcome: 'added' };
      }
      if (index === this.buckets.length - 1 && this.buckets.length < this.options.maxBuckets) {
        this.split();
        continue;
      }
      // Full of live nodes: wait as a replacement; ping the stalest questionable node, if any.
      if (bucket.replacements.some((n) => n.id.equals(node.id))) return { outcome: 'ignored' };
      if (bucket.replacements.length >= this.options.k) this.drop(bucket.replacements, bucket.replacements[0]!);
      this.insert(bucket.replacements, node);
      const questionable = bucket.nodes.filter((n) => this.liveness(n, now) === 'questionable').sort((a, b) => a.lastSeen - b.lastSeen)[0];
      return { outcome: 'replacement', ...(questionable ? { ping: questionable } : {}) };
    }
  }

  /** One of our queries to this address went unanswered. A bad node gives way to a replacement. */
  failed(host: string, port: number, now: number): void {
    const node = this.byAddress.get(key(host, port));
    if (!node) return;
    node.failures++;
    if (this.liveness(node, now) !== 'bad') return;
    const bucket = this.bucketFor(node.id);
    if (bucket.replacements.includes(node)) return this.drop(bucket.replacements, node);
    // Good replacements (they answered) first, then the most recently seen.
    const next = [...bucket.replacements].sort((a, b) => Number(b.lastResponse !== undefined) - Number(a.lastResponse !== undefined) || b.lastSeen - a.lastSeen)[0];
    if (!next) return;
    this.drop(bucket.nodes, node);
    bucket.replacements.splice(bucket.replacements.indexOf(next), 1);
    bucket.nodes.push(next);
    bucket.lastChanged = now;
  }

  /** The `count` nodes closest to `target`, bad ones left out. */
  closest(target: Uint8Array, count: number, now: number): RoutingNode[] {
    const candidates: RoutingNode[] = [];
    for (const bucket of this.buckets) for (const node of bucket.nodes) if (this.liveness(node, now) !== 'bad') candidates.push(node);
    candidates.sort((a, b) => compareDistance(a.id, b.id, target));
    return candidates.slice(0, count);
  }

  /** Buckets nobody touched for `staleMs`, each with a random target inside it to look up. */
  staleBuckets(now: number, rng: () => number): { depth: number; target: Buffer }[] {
    const stale: { depth: number; target: Buffer }[] = [];
    this.buckets.forEach((bucket, depth) => {
      if (now - bucket.lastChanged < this.options.staleMs) return;
      stale.push({ depth, target: randomIdWithPrefix(this.self, depth, rng, depth === this.buckets.length - 1) });
    });
    return stale;
  }

  /** A refresh started for this bucket: not due again for `staleMs`, whatever it finds. */
  touchBucket(depth: number, now: number): void {
    const bucket = this.buckets[depth];
    if (bucket) bucket.lastChanged = now;
  }

  /** The questionable nodes heard from longest ago (at most `max`): the caller pings them. */
  questionable(now: number, max: number): RoutingNode[] {
    return this.all()
      .filter((n) => this.liveness(n, now) === 'questionable')
      .sort((a, b) => a.lastSeen - b.lastSeen)
      .slice(0, max);
  }

  private promoteIfRoom(bucket: Bucket, node: RoutingNode, now: number): void {
    const bad = bucket.nodes.find((n) => this.liveness(n, now) === 'bad');
    if (bucket.nodes.length >= this.options.k && !bad) return;
    if (bad) this.drop(bucket.nodes, bad);
    bucket.replacements.splice(bucket.replacements.indexOf(node), 1);
    bucket.nodes.push(node);
    bucket.lastChanged = now;
  }

  private indexFor(id: Uint8Array): number {
    return Math.min(commonPrefixBits(this.self, id), this.buckets.length - 1);
  }

  private bucketFor(id: Uint8Array): Bucket {
    return this.buckets[this.indexFor(id)]!;
  }

  /** The last bucket (the one holding our own id) becomes two. */
  private split(): void {
    const last = this.buckets[this.buckets.length - 1]!;
    const depth = this.buckets.length - 1;
    const near: Bucket = { nodes: [], replacements: [], lastChanged: last.lastChanged };
    const stays = (n: RoutingNode) => commonPrefixBits(this.self, n.id) === depth;
    near.nodes = last.nodes.filter((n) => !stays(n));
    near.replacements = last.replacements.filter((n) => !stays(n));
    last.nodes = last.nodes.filter(stays);
    last.replacements = last.replacements.filter(stays);
    this.buckets.push(near);
  }

  private hasIp(host: string): boolean {
    for (const node of this.byAddress.values()) if (node.host === host) return true;
    return false;
  }

  private insert(list: RoutingNode[], node: RoutingNode): void {
    list.push(node);
    this.byAddress.set(key(node.host, node.port), node);
  }

  private drop(list: RoutingNode[], node: RoutingNode): void {
    const at = list.indexOf(node);
    if (at >= 0) list.splice(at, 1);
    if (this.byAddress.get(key(node.host, node.port)) === node) this.byAddress.delete(key(node.host, node.port));
  }

  private remove(node: RoutingNode): void {
    const bucket = this.bucketFor(node.id);
    this.drop(bucket.nodes.includes(node) ? bucket.nodes : bucket.replacements, node);
  }
}

function key(host: string, port: number): string {
  return `${host}|${port}`;
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}
