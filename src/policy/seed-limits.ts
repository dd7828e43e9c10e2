/**
 * When a seeding torrent has done enough (Transmission's seed ratio and idle limits): pure, with the
 * session's defaults and the torrent's own settings passed in. Modes are Transmission's
 * tr_ratiolimit / tr_idlelimit: 0 follows the session, 1 uses the torrent's own limit, 2 never stops.
 */
export interface SeedLimitInput {
  ratioMode: number;
  ratioLimit: number;
  idleMode: number;
  /** Minutes. */
  idleLimit: number;
  session: { ratioLimited: boolean; ratioLimit: number; idleLimited: boolean; idleLimit: number };
  uploaded: number;
  /** Bytes downloaded ever, or the bytes we have when we downloaded nothing (seeding what was already there). */
  ratioBase: number;
  /** Milliseconds since data last moved either way. */
  idleMs: number;
}

/** The effective ratio limit, or undefined when none applies. */
export function ratioLimitOf(input: Pick<SeedLimitInput, 'ratioMode' | 'ratioLimit' | 'session'>): number | undefined {
  if (input.ratioMode === 1) return input.ratioLimit;
  if (input.ratioMode === 0 && input.session.ratioLimited) return input.session.ratioLimit;
  return undefined;
}

export function idleLimitOf(input: Pick<SeedLimitInput, 'idleMode' | 'idleLimit' | 'session'>): number | undefined {
  if (input.idleMode === 1) return input.idleLimit;
  if (input.idleMode === 0 && input.session.idleLimited) return input.session.idleLimit;
  return undefined;
}

/** Transmission's upload ratio: -1 when nothing to compare with. */
export function uploadRatio(uploaded: number, ratioBase: number): number {
  if (ratioBase > 0) return uploaded / ratioBase;
  return uploaded > 0 ? Infinity : -1;
}

/** Why a seeding torrent should stop now, or undefined. */
export function seedLimitReached(input: SeedLimitInput): 'ratio' | 'idle' | undefined {
  const ratio = ratioLimitOf(input);
  if (ratio !== undefined && uploadRatio(input.uploaded, input.ratioBase) >= ratio) return 'ratio';
  const idle = idleLimitOf(input);
  if (idle !== undefined && input.idleMs >= idle * 60_000) return 'idle';
  return undefined;
}
