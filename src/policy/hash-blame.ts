/**
 * Who pays for a piece that fails its hash. Block-level proof is SmartBan's job (a liar is known
 * once the piece verifies); strikes go only where the blame is plain without that proof: a piece
 * with a single sender, or a piece written block by block (its blocks were not kept), whose senders
 * all get one. A single sender is not banned at once: it may be an honest peer with one rotten
 * piece, and if it lied the proof follows as soon as the piece verifies from anyone.
 *
 * Pure: plain data in, new data out.
 */

/** A peer as blame knows it: its remote peer id (hex) and its address, for messages. */
export interface Suspect {
  peer: string;
  address: string;
}

export interface Ban extends Suspect {
  reason: string;
}

/**
 * The peers to strike for a failed piece. `senders` is who sent each block when the piece was
 * assembled in memory (SmartBan judges those once it verifies); undefined when it was written
 * block by block, where every contributor is blamed.
 */
export function blameForFailure(senders: readonly (Suspect | undefined)[] | undefined, contributors: readonly Suspect[]): Suspect[] {
  if (!senders) return uniqueByPeer(contributors);
  const distinct = uniqueByPeer(senders.filter((s): s is Suspect => s !== undefined));
  return distinct.length === 1 ? distinct : [];
}

/** Adds one strike to each suspect (up to `maxFailures`); those reaching it are banned. */
export function addStrikes(
  strikes: ReadonlyMap<string, number>,
  suspects: readonly Suspect[],
  maxFailures: number,
): { strikes: ReadonlyMap<string, number>; bans: Ban[] } {
  if (suspects.length === 0) return { strikes, bans: [] };
  const next = new Map(strikes);
  const bans: Ban[] = [];
  for (const { peer, address } of suspects) {
    // At the limit it is banned already: pieces still in flight from it tell nothing new.
    if ((next.get(peer) ?? 0) >= maxFailures) continue;
    const count = (next.get(peer) ?? 0) + 1;
    next.set(peer, count);
    if (count === maxFailures) bans.push({ peer, address, reason: `banned: sent ${count} piece${count === 1 ? '' : 's'} that failed their hash` });
  }
  return { strikes: next, bans };
}

/** The ban for a peer SmartBan proved sent a corrupt block. */
export function corruptBlockBan(suspect: Suspect, piece: number, block: number): Ban {
  return { ...suspect, reason: `banned: sent a corrupt block (piece ${piece}, block ${block})` };
}

function uniqueByPeer(suspects: readonly Suspect[]): Suspect[] {
  const byPeer = new Map<string, Suspect>();
  for (const s of suspects) if (!byPeer.has(s.peer)) byPeer.set(s.peer, s);
  return [...byPeer.values()];
}
