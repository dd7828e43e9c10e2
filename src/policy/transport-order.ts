/** What carries a peer connection's bytes. */
export type PeerTransportKind = 'tcp' | 'utp';

/**
 * Which transports a peer connection may use, and in what order we dial (`--transport`). Pure.
 *
 * - `utp,tcp`: dial uTP first (as libtorrent does) and TCP when uTP gets no answer in time; a peer
 *   that failed uTP and then took TCP is dialled over TCP first from then on. Accept both.
 * - `tcp,utp`: the other way round. `tcp` / `utp`: only that one, in and out.
 */
export type TransportOrder = readonly PeerTransportKind[];

export const TRANSPORT_ORDERS = ['utp,tcp', 'tcp,utp', 'tcp', 'utp'] as const;

export function parseTransportOrder(text: string): TransportOrder | undefined {
  const kinds = text.split(',').map((k) => k.trim().toLowerCase());
  if (kinds.length === 0 || kinds.length > 2) return undefined;
  if (!kinds.every((k): k is PeerTransportKind => k === 'tcp' || k === 'utp')) return undefined;
  if (kinds.length === 2 && kinds[0] === kinds[1]) return undefined;
  return kinds;
}

/** The dial attempts for one peer, in order; `utpFailedBefore`: uTP got no answer from it and TCP did. */
export function dialTransports(order: TransportOrder, utpFailedBefore: boolean): PeerTransportKind[] {
  if (utpFailedBefore && order.length === 2 && order[0] === 'utp') return ['tcp', 'utp'];
  return [...order];
}

/** How long an attempt may take: a first uTP attempt with a fallback behind it gets less, so the fallback is not late. */
export function attemptTimeout(kind: PeerTransportKind, isLast: boolean, timeoutMs: number, utpFallbackMs: number): number {
  return kind === 'utp' && !isLast ? Math.min(timeoutMs, utpFallbackMs) : timeoutMs;
}
