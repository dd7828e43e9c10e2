import type { NodeContact, PeerContact } from '../protocol/krpc/index.js';
import { compareDistance } from './node-id.js';

/*
 * The state of one iterative lookup (BEP 5 / Kademlia), pure: candidates sorted by XOR distance to
 * the target; at most `alpha` queries in flight, always to the closest candidates not yet asked;
 * done when the `k` closest candidates that did not fail have all answered (or nothing is left to
 * ask, or the query budget is spent). Bounded: at most `maxCandidates` candidates (the farthest are
 * forgotten), `maxNodesPerReply` nodes taken from one answer, `maxPeers` peers collected.
 *
 * Seeds may come without an id (bootstrap routers, `host:port` only): they sort after every known
 * id and are asked when nothing closer is left.
 */

export interface LookupOptions {
  k: number;
  alpha: number;
  maxCandidates: number;
  maxNodesPerReply: number;
  maxQueries: number;
  maxPeers: number;
  /** At most one candidate per IP address (loopback exempt). */
  oneNodePerIp: boolean;
}

export const DEFAULT_LOOKUP_OPTIONS: LookupOptions = {
  k: 8,
  alpha: 3,
  maxCandidates: 64,
  maxNodesPerReply: 16,
  maxQueries: 96,
  maxPeers: 500,
  oneNodePerIp: true,
};

export type CandidateState = 'new' | 'asked' | 'answered' | 'failed';

export interface Candidate {
  id?: Buffer;
  host: string;
  port: number;
  state: CandidateState;
  /** The write token it gave with get_peers (for announce_peer). */
  token?: Buffer;
}

export class Lookup {
  readonly options: LookupOptions;
  private readonly candidates: Candidate[] = [];
  private readonly seenPeers = new Set<string>();
  readonly peers: PeerContact[] = [];
  queries = 0;
  inFlight = 0;

  constructor(
    readonly target: Buffer,
    seeds: readonly (Omit<NodeContact, 'id'> & { id?: Buffer })[],
    options: Partial<LookupOptions> = {},
    /** Our own id: never a candidate. */
    private readonly self?: Buffer,
  ) {
    this.options = { ...DEFAULT_LOOKUP_OPTIONS, ...options };
    for (const seed of seeds) this.add(seed);
  }

  /** The candidates to ask now (marked asked): the closest new ones, up to alpha in flight. */
  next(): Candidate[] {
    const picked: Candidate[] = [];
    if (this.finished) return picked;
    let alive = 0;
    for (const c of this.candidates) {
      if (this.inFlight + picked.length >= this.options.alpha || this.queries + picked.length >= this.options.maxQueries) break;
      if (c.state === 'failed') continue;
      // Only the k closest live candidates matter; farther ones are asked when closer ones fail.
      if (alive++ >= this.options.k) break;
      if (c.state === 'new') picked.push(c);
    }
    for (const c of picked) c.state = 'asked';
    this.inFlight += picked.length;
    this.queries += picked.length;
    return picked;
  }

  /** An answer from the candidate at this address: its id, the nodes it knows, peers and a token. */
  answered(host: string, port: number, reply: { id: Buffer; nodes?: readonly NodeContact[]; values?: readonly PeerContact[]; token?: Buffer }): PeerContact[] {
    const c = this.find(host, port);
    if (!c || c.state !== 'asked') return [];
    this.inFlight--;
    c.state = 'answered';
    if (!c.id || !c.id.equals(reply.id)) {
      c.id = reply.id;
      this.sort();
    }
    if (reply.token) c.token = reply.token;
    for (const node of (reply.nodes ?? []).slice(0, this.options.maxNodesPerReply)) this.add(node);
    const fresh: PeerContact[] = [];
    for (const peer of reply.values ?? []) {
      if (this.peers.length >= this.options.maxPeers) break;
      const key = `${peer.host}|${peer.port}`;
      if (peer.port === 0 || this.seenPeers.has(key)) continue;
      this.seenPeers.add(key);
      this.peers.push(peer);
      fresh.push(peer);
    }
    return fresh;
  }

  /** The query to this address timed out or was refused. */
  failed(host: string, port: number): void {
    const c = this.find(host, port);
    if (!c || c.state !== 'asked') return;
    this.inFlight--;
    c.state = 'failed';
  }

  /** True when is waiting on nothing and nothing is left worth asking. */
  get finished(): boolean {
    if (this.inFlight > 0) return false;
    if (this.queries >= this.options.maxQueries) return true;
    let alive = 0;
    for (const c of this.candidates) {
      if (c.state === 'failed') continue;
      if (alive++ >= this.options.k) break;
      if (c.state === 'new') return false;
    }
    return true;
  }

  /** The k closest nodes that answered, with their tokens (where to announce). */
  closestAnswered(): (Candidate & { id: Buffer })[] {
    return this.candidates.filter((c): c is Candidate & { id: Buffer } => c.state === 'answered' && c.id !== undefined).slice(0, this.options.k);
  }

  /** Candidates in order of distance (for tests and the dashboard). */
  view(): readonly Candidate[] {
    return this.candidates;
  }

  private add(node: Omit<NodeContact, 'id'> & { id?: Buffer }): void {
    if (node.port === 0 || (node.id && this.self?.equals(node.id))) return;
    if (this.find(node.host, node.port)) return;
    if (node.id && this.candidates.some((c) => c.id?.equals(node.id!))) return;
    if (this.options.oneNodePerIp && !isLoopback(node.host) && this.candidates.some((c) => c.host === node.host)) return;
    const candidate: Candidate = { host: node.host, port: node.port, state: 'new', ...(node.id ? { id: node.id } : {}) };
    this.candidates.push(candidate);
    this.sort();
    // Forget the farthest unasked candidates beyond the bound (never one we wait for).
    while (this.candidates.length > this.options.maxCandidates) {
      const at = findLastIndex(this.candidates, (c) => c.state === 'new' || c.state === 'failed');
      if (at < 0) break;
      this.candidates.splice(at, 1);
    }
  }

  private find(host: string, port: number): Candidate | undefined {
    return this.candidates.find((c) => c.port === port && c.host === host);
  }

  private sort(): void {
    const target = this.target;
    this.candidates.sort((a, b) => (a.id && b.id ? compareDistance(a.id, b.id, target) : a.id ? -1 : b.id ? 1 : 0));
  }
}

function findLastIndex<T>(list: readonly T[], test: (item: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return i;
  return -1;
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}
