/**
 * Whether a new incoming connection is read, and whom it displaces. Idle sockets must not lock out
 * honest peers (libtorrent's peer turnover does the same): a new connection is always read when
 * something can make room for it, and what makes room is the connection that has waited longest
 * without completing its handshake. One address may hold only a few such connections at once, so a
 * single host cannot fill the table; past that, its new connections are refused at once (cheaply:
 * nothing is spawned for them).
 *
 * Pure: the pending connections in arrival order, counts and limits in; a decision out.
 */

export interface PendingConnection {
  id: string;
  /** The remote IP address (no port): the per-address cap counts by it. */
  host: string;
}

export interface AdmissionLimits {
  /** Connections held at once: pending handshakes plus those handed over to torrents. */
  maxConnections: number;
  /** Pending handshakes from one address. */
  maxPendingPerAddress: number;
}

export type AdmissionDecision =
  | { admit: true; evict?: { id: string; reason: string } }
  | { admit: false; reason: string };

export function admitIncoming(
  pending: readonly PendingConnection[],
  handedOver: number,
  host: string,
  limits: AdmissionLimits,
): AdmissionDecision {
  let fromHost = 0;
  for (const p of pending) if (p.host === host) fromHost++;
  if (fromHost >= limits.maxPendingPerAddress) {
    return { admit: false, reason: `${fromHost} connections from ${host} have not completed their handshake` };
  }
  if (pending.length + handedOver < limits.maxConnections) return { admit: true };
  // At the limit: the connection that has waited longest without a handshake makes room.
  const oldest = pending[0];
  if (oldest) return { admit: true, evict: { id: oldest.id, reason: `connection limit of ${limits.maxConnections} reached: waited longest without a handshake` } };
  return { admit: false, reason: `connection limit of ${limits.maxConnections} reached` };
}
