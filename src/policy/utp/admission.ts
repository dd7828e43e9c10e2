/**
 * Which uTP SYNs a port takes (hostile network rules: a SYN costs us a connection's state, and
 * its source address may be forged). Pure: counts in, a verdict out.
 *
 * - Half-open connections (SYN answered, no data yet) are capped per port and per address: a
 *   flood of SYNs fills its own slots and times out; established peers are untouched.
 * - Connections in all are capped per port and per address.
 */
export interface UtpAdmissionLimits {
  maxConnections: number;
  maxHalfOpen: number;
  maxPerAddress: number;
  maxHalfOpenPerAddress: number;
}

export const DEFAULT_UTP_ADMISSION: UtpAdmissionLimits = {
  maxConnections: 1000,
  maxHalfOpen: 64,
  maxPerAddress: 64,
  maxHalfOpenPerAddress: 8,
};

export interface UtpPortCounts {
  connections: number;
  halfOpen: number;
  fromAddress: number;
  halfOpenFromAddress: number;
}

export function admitSyn(counts: UtpPortCounts, limits: UtpAdmissionLimits): { admit: true } | { admit: false; reason: string } {
  if (counts.halfOpenFromAddress >= limits.maxHalfOpenPerAddress) return { admit: false, reason: 'too many half-open uTP connections from this address' };
  if (counts.halfOpen >= limits.maxHalfOpen) return { admit: false, reason: 'too many half-open uTP connections' };
  if (counts.fromAddress >= limits.maxPerAddress) return { admit: false, reason: 'too many uTP connections from this address' };
  if (counts.connections >= limits.maxConnections) return { admit: false, reason: 'too many uTP connections' };
  return { admit: true };
}
