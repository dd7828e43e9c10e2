import type { KrpcMethod } from '../protocol/krpc/index.js';

/*
 * Our queries waiting for an answer, by transaction id. An answer counts only when its transaction
 * id is ours and it comes from the address we asked (a router named by host name is the one
 * exception: its address is only known once it answers). Bounded: `begin` refuses a query when
 * `maxPending` are already out. Time passed in.
 */

export interface PendingQuery {
  /** The transaction id, 2 bytes. */
  t: Buffer;
  host: string;
  port: number;
  method: KrpcMethod;
  /** Who asked: a lookup's id, or the node itself (`node`). */
  owner: string;
  sentAt: number;
  deadline: number;
  /** Matched by transaction id alone (a bootstrap router given by name). */
  anySource: boolean;
}

export class Transactions {
  private readonly pending = new Map<number, PendingQuery>();
  private next: number;

  constructor(
    rng: () => number,
    readonly maxPending = 256,
  ) {
    this.next = Math.floor(rng() * 0x10000);
  }

  get size(): number {
    return this.pending.size;
  }

  /** A new transaction, or undefined when too many are out. */
  begin(query: Omit<PendingQuery, 't' | 'deadline' | 'anySource'> & { timeoutMs: number; anySource?: boolean }): PendingQuery | undefined {
    if (this.pending.size >= this.maxPending) return undefined;
    let id = this.next;
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    this.next = (id + 1) & 0xffff;
    const t = Buffer.alloc(2);
    t.writeUInt16BE(id, 0);
    const { timeoutMs, ...rest } = query;
    const entry: PendingQuery = { ...rest, t, deadline: query.sentAt + timeoutMs, anySource: query.anySource ?? false };
    this.pending.set(id, entry);
    return entry;
  }

  /** The query this answer (or error) completes, removed from the table; undefined when none matches. */
  complete(t: Buffer, host: string, port: number): PendingQuery | undefined {
    if (t.length !== 2) return undefined;
    const id = t.readUInt16BE(0);
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    if (!entry.anySource && (entry.host !== host || entry.port !== port)) return undefined;
    this.pending.delete(id);
    return entry;
  }

  /** Queries past their deadline, removed from the table. */
  expired(now: number): PendingQuery[] {
    const out: PendingQuery[] = [];
    for (const [id, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(id);
      out.push(entry);
    }
    return out;
  }

  /** Drops every query of an owner (a lookup that ended); they are no longer waited for. */
  forget(owner: string): void {
    for (const [id, entry] of this.pending) if (entry.owner === owner) this.pending.delete(id);
  }

  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.pending.values()) if (earliest === undefined || entry.deadline < earliest) earliest = entry.deadline;
    return earliest;
  }
}
