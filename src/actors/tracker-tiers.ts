/*
 * BEP 12 announce-list bookkeeping as pure functions over plain arrays: which URLs we can speak to,
 * the one-time shuffle of each tier, walking the tiers in order, and moving a tracker that answered
 * to the front of its tier.
 */

export type TrackerProtocol = 'http' | 'udp';

/** The protocol we speak to `url` with, or undefined (wss:, a typo, a relative URL …). */
export function trackerProtocol(url: string): TrackerProtocol | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return 'http';
  if (parsed.protocol === 'udp:') return 'udp';
  return undefined;
}

/** Fisher–Yates within each tier (BEP 12: "the list will be shuffled when first read"). */
export function shuffleTiers(tiers: readonly (readonly string[])[], rng: () => number): string[][] {
  return tiers.map((tier) => {
    const out = [...tier];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  });
}

/** The tiers with `url` moved to the front of its tier; the other tiers untouched. */
export function promote(tiers: readonly (readonly string[])[], url: string): string[][] {
  return tiers.map((tier) => (tier.includes(url) ? [url, ...tier.filter((u) => u !== url)] : [...tier]));
}

/** A position in the tiers: the URL to try is `tiers[tier][index]`. */
export interface TierCursor {
  tier: number;
  index: number;
}

export const FIRST: TierCursor = { tier: 0, index: 0 };

export function urlAt(tiers: readonly (readonly string[])[], cursor: TierCursor): string | undefined {
  return tiers[cursor.tier]?.[cursor.index];
}

/** The next URL after `cursor`: the rest of its tier, then the next non-empty tier; undefined at the end. */
export function nextCursor(tiers: readonly (readonly string[])[], cursor: TierCursor): TierCursor | undefined {
  if (cursor.index + 1 < (tiers[cursor.tier]?.length ?? 0)) return { tier: cursor.tier, index: cursor.index + 1 };
  for (let tier = cursor.tier + 1; tier < tiers.length; tier++) {
    if ((tiers[tier]?.length ?? 0) > 0) return { tier, index: 0 };
  }
  return undefined;
}

/**
 * Splits the tiers into those we can announce to (empty tiers dropped) and the URLs we cannot
 * speak to, in their original order.
 */
export function usableTiers(tiers: readonly (readonly string[])[]): { tiers: string[][]; unsupported: string[] } {
  const usable: string[][] = [];
  const unsupported: string[] = [];
  for (const tier of tiers) {
    const kept = tier.filter((url) => {
      if (trackerProtocol(url)) return true;
      unsupported.push(url);
      return false;
    });
    if (kept.length > 0) usable.push(kept);
  }
  return { tiers: usable, unsupported };
}
