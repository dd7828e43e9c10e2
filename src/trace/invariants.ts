import { forEachSetBit } from '../util/bits.js';
import type { TraceRecord } from './format.js';

/**
 * Protocol invariants on what a node SENDS, checked record by record (pure: no I/O, no clock). Each
 * connection (node + peer key) is followed from both sides: what the remote announced, who chokes
 * whom, the fast extension, our outstanding requests and the requests we accepted.
 *
 * - `request-unannounced`: we request a piece the peer never announced (bitfield / have / have-all).
 * - `request-while-choked`: we request while the peer chokes us (BEP 6 allowed-fast pieces excepted).
 * - `pipeline-depth`: more of our requests outstanding than the engine's pipeline depth. A request
 *   stops being outstanding when its block or a reject arrives, we cancel it, a non-fast peer chokes
 *   us (BEP 3: requests are dropped), or it is older than the request timeout.
 * - `block-while-choking`: we send a block to a peer we choke (unless we allowed it that piece fast).
 * - `unrequested-block`: we send a block nobody asked for (a block for a cancelled request is a race
 *   BEP 3 allows).
 * - `unanswered-request`: with the fast extension, a request we accepted was neither served nor
 *   rejected by the time we unchoke the peer again (BEP 6: choking no longer drops requests). Without
 *   it, our choke drops them; a closed connection drops them.
 */

export type InvariantName =
  | 'request-unannounced'
  | 'request-while-choked'
  | 'pipeline-depth'
  | 'block-while-choking'
  | 'unrequested-block'
  | 'unanswered-request';

export const INVARIANTS: readonly InvariantName[] = [
  'request-unannounced',
  'request-while-choked',
  'pipeline-depth',
  'block-while-choking',
  'unrequested-block',
  'unanswered-request',
];

export interface Violation {
  invariant: InvariantName;
  /** 1-based line of the trace (the header is line 1). */
  line: number;
  node: string;
  peer: string;
  message: string;
}

export interface InvariantOptions {
  pipelineDepth: number;
  requestTimeoutMs: number;
}

interface Connection {
  ourFast: boolean;
  theirFast: boolean;
  /** Pieces the peer announced; `all` after have-all. */
  remoteHas: Set<number> | 'all';
  weChoke: boolean;
  theyChoke: boolean;
  allowedFastIn: Set<number>;
  allowedFastOut: Set<number>;
  /** Our requests in flight, by "index:begin:length", with when they were sent. */
  ourRequests: Map<string, number>;
  /** Requests we accepted and still owe, and whether our choke came since. */
  theirRequests: Map<string, { beforeChoke: boolean }>;
  /** Requests the peer cancelled: a block for them may still be in flight. */
  cancelled: Set<string>;
}

const newConnection = (): Connection => ({
  ourFast: false,
  theirFast: false,
  remoteHas: new Set(),
  weChoke: true,
  theyChoke: true,
  allowedFastIn: new Set(),
  allowedFastOut: new Set(),
  ourRequests: new Map(),
  theirRequests: new Map(),
  cancelled: new Set(),
});

const blockKey = (m: Record<string, unknown>) => `${String(m['index'])}:${String(m['begin'])}:${String(m['length'] ?? blockLength(m))}`;
const blockLength = (m: Record<string, unknown>) => (m['block'] as { length?: unknown } | undefined)?.length;

export class InvariantChecker {
  private readonly connections = new Map<string, Connection>();
  /** How many times each invariant was evaluated. */
  readonly checked: Record<InvariantName, number> = Object.fromEntries(INVARIANTS.map((n) => [n, 0])) as Record<InvariantName, number>;
  /** Outbound wire messages seen. */
  outbound = 0;

  constructor(private readonly options: InvariantOptions) {}

  /** Follows one record; returns the first invariant it breaks, if any. */
  feed(record: TraceRecord, line: number): Violation | undefined {
    if (record.peer === null) return undefined;
    const id = `${record.node}\u0000${record.peer}`;
    if (record.kind === 'connection' || record.kind === 'closed') {
      // A new connection under a reused key starts afresh; a closed one owes nothing.
      this.connections.delete(id);
      return undefined;
    }
    if (record.kind !== 'wire') return undefined;
    let c = this.connections.get(id);
    if (!c) this.connections.set(id, (c = newConnection()));
    const fail = (invariant: InvariantName, message: string): Violation => ({ invariant, line, node: record.node, peer: record.peer!, message });
    return record.dir === 'in' ? this.inbound(c, record.msg) : record.dir === 'out' ? this.outboundMessage(c, record, fail) : undefined;
  }

  private inbound(c: Connection, m: Record<string, unknown>): undefined {
    const fast = () => c.ourFast && c.theirFast;
    switch (m['type']) {
      case 'handshake':
        c.theirFast = (m['flags'] as { fastExtension?: unknown } | undefined)?.fastExtension === true;
        break;
      case 'bitfield':
        c.remoteHas = piecesOfHex(String(m['bitfield']));
        break;
      case 'have':
        if (c.remoteHas !== 'all') c.remoteHas.add(Number(m['index']));
        break;
      case 'have-all':
        c.remoteHas = 'all';
        break;
      case 'have-none':
        c.remoteHas = new Set();
        break;
      case 'allowed-fast':
        c.allowedFastIn.add(Number(m['index']));
        break;
      case 'choke':
        c.theyChoke = true;
        if (!fast()) c.ourRequests.clear();
        break;
      case 'unchoke':
        c.theyChoke = false;
        break;
      case 'piece':
      case 'reject':
        c.ourRequests.delete(blockKey(m));
        break;
      case 'request':
        // Asked while we choke (and not allowed fast): we owe nothing, at most a reject.
        if (c.weChoke && !(fast() && c.allowedFastOut.has(Number(m['index'])))) break;
        c.theirRequests.set(blockKey(m), { beforeChoke: false });
        break;
      case 'cancel': {
        const key = blockKey(m);
        if (c.theirRequests.delete(key)) c.cancelled.add(key);
        break;
      }
      default:
    }
    return undefined;
  }

  private outboundMessage(c: Connection, record: TraceRecord, fail: (invariant: InvariantName, message: string) => Violation): Violation | undefined {
    const m = record.msg;
    const fast = c.ourFast && c.theirFast;
    this.outbound++;
    switch (m['type']) {
      case 'handshake-sent':
        c.ourFast = (m['flags'] as { fastExtension?: unknown } | undefined)?.fastExtension === true;
        return undefined;
      case 'allowed-fast':
        c.allowedFastOut.add(Number(m['index']));
        return undefined;
      case 'request': {
        const index = Number(m['index']);
        const allowedFast = fast && c.allowedFastIn.has(index);
        this.checked['request-unannounced']++;
        if (c.remoteHas !== 'all' && !c.remoteHas.has(index)) return fail('request-unannounced', `requested piece ${index}, which the peer never announced`);
        this.checked['request-while-choked']++;
        if (c.theyChoke && !allowedFast) return fail('request-while-choked', `requested piece ${index} at ${String(m['begin'])} while the peer chokes us`);
        for (const [key, sentAt] of c.ourRequests) if (record.t - sentAt >= this.options.requestTimeoutMs) c.ourRequests.delete(key);
        c.ourRequests.set(blockKey(m), record.t);
        this.checked['pipeline-depth']++;
        if (c.ourRequests.size > this.options.pipelineDepth) {
          return fail('pipeline-depth', `${c.ourRequests.size} requests outstanding, more than the pipeline depth of ${this.options.pipelineDepth}`);
        }
        return undefined;
      }
      case 'cancel':
        c.ourRequests.delete(blockKey(m));
        return undefined;
      case 'piece': {
        const index = Number(m['index']);
        const key = blockKey(m);
        this.checked['block-while-choking']++;
        if (c.weChoke && !(fast && c.allowedFastOut.has(index))) return fail('block-while-choking', `sent a block of piece ${index} at ${String(m['begin'])} while choking the peer`);
        this.checked['unrequested-block']++;
        if (!c.theirRequests.delete(key) && !c.cancelled.delete(key)) return fail('unrequested-block', `sent a block of piece ${index} at ${String(m['begin'])} that the peer did not request`);
        return undefined;
      }
      case 'reject':
        c.theirRequests.delete(blockKey(m));
        return undefined;
      case 'choke':
        c.weChoke = true;
        if (!fast) c.theirRequests.clear();
        else for (const pending of c.theirRequests.values()) pending.beforeChoke = true;
        return undefined;
      case 'unchoke': {
        c.weChoke = false;
        this.checked['unanswered-request']++;
        for (const [key, pending] of c.theirRequests) {
          if (pending.beforeChoke) return fail('unanswered-request', `request ${key.replace(/:/g, '/')} (index/begin/length) was accepted before our choke and neither served nor rejected`);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

/** The pieces set in a hex bitfield (piece 0 is the high bit of the first byte). */
export function piecesOfHex(hex: string): Set<number> {
  const set = new Set<number>();
  forEachSetBit(Buffer.from(hex, 'hex'), (i) => set.add(i));
  return set;
}
