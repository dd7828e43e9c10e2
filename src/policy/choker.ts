/**
 * The choker: which peers we upload to. Called every 10 s (one "round"); pure: time and randomness come
 * in as arguments, and the result depends only on the peers (not their order) and the rng's values.
 *
 * 1. Snubbing. While we are interested in a peer (`amInterested`), a peer that has sent us no block for
 *    `snubTimeoutMs` (60 s) — counted from its last block, or from when we became interested if that is
 *    later — is snubbed: it cannot hold a regular slot, only the optimistic one. `snubbed: true` forces it.
 *    When seeding we are interested in nobody, so nobody is snubbed.
 * 2. Regular slots. Of the interested, unsnubbed peers, the `slots` (4) best win: by the rate they send
 *    to us (`downloadRate`) when leeching — tit for tat — and by the rate we send to them (`uploadRate`)
 *    when seeding, which favours peers that can take our data fastest. Ties go to peers we already
 *    unchoke (`unchokedSince` set: fewer choke/unchoke flips), then to the rng.
 * 3. Optimistic slots. On rounds where `round % optimisticEveryRounds === 0` (every 3rd: 30 s) the
 *    `optimisticSlots` (1) go afresh to the interested peers without a regular slot (snubbed ones
 *    included) that have waited longest since we last unchoked them (`chokedSince`; as libtorrent
 *    does), ties and peers without a time drawn at random: this is how a new peer gets its first
 *    data and can show its rate, and the rotation reaches every peer in turn instead of by luck. On
 *    other rounds the previous optimistic peers keep their slot while they are still connected,
 *    interested and not promoted to a regular slot; any slot left free is filled at once.
 * Peers that are not interested are never unchoked: they would not request anything.
 * Before any random choice, peers are sorted by id, so one rng sequence always gives one result.
 */

export interface PeerStats {
  id: string;
  /** The peer is interested in our pieces. */
  interested: boolean;
  /** We are interested in the peer's pieces (anti-snubbing applies only then). */
  amInterested?: boolean;
  /** Bytes/s the peer sends us. */
  downloadRate: number;
  /** Bytes/s we send the peer. */
  uploadRate: number;
  /** Time (ms) we last received a block from the peer; undefined if never. */
  lastBlockReceivedAt?: number;
  /** Time (ms) we became interested in the peer; the snub clock starts here if no block came since. */
  amInterestedSince?: number;
  /** Time (ms) we unchoked the peer, while it is unchoked. */
  unchokedSince?: number;
  /** Time (ms) we last choked the peer (or it connected), while it is choked: who waited longest goes first. */
  chokedSince?: number;
  /** Forces the peer to count as snubbed. */
  snubbed?: boolean;
}

export interface RechokeOptions {
  seeding: boolean;
  /** Current time, ms. */
  now: number;
  /** Rechoke round number, 0, 1, 2, ... (one every 10 s). */
  round: number;
  /** Uniform in [0, 1). */
  rng: () => number;
  /** Regular unchoke slots. Default 4. */
  slots?: number;
  /** Optimistic unchoke slots. Default 1. */
  optimisticSlots?: number;
  /** The optimistic peer(s) of the previous round. */
  previousOptimistic?: string | readonly string[];
  /** Draw new optimistic peers every this many rounds. Default 3. */
  optimisticEveryRounds?: number;
  /** Default 60 000. */
  snubTimeoutMs?: number;
}

export interface RechokeResult {
  /** Every peer to unchoke: the regular ones (best first), then the optimistic ones. */
  unchoked: string[];
  /** The regular slots, best first. */
  regular: string[];
  /** The (first) optimistic unchoke, if any. */
  optimistic?: string;
  /** All optimistic unchokes (one unless optimisticSlots > 1). */
  optimistics: string[];
}

export const DEFAULT_SNUB_TIMEOUT_MS = 60_000;

/** Snubbed: we want its data, yet it has sent us nothing for `timeoutMs`. */
export function isSnubbed(peer: PeerStats, now: number, timeoutMs = DEFAULT_SNUB_TIMEOUT_MS): boolean {
  if (peer.snubbed) return true;
  if (!peer.amInterested) return false;
  const since = Math.max(peer.lastBlockReceivedAt ?? -Infinity, peer.amInterestedSince ?? -Infinity);
  return since !== -Infinity && now - since >= timeoutMs;
}

function randomIndex(rng: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

export function rechoke(peers: readonly PeerStats[], opts: RechokeOptions): RechokeResult {
  const { seeding, now, round, rng } = opts;
  const slots = opts.slots ?? 4;
  const optimisticSlots = opts.optimisticSlots ?? 1;
  const every = opts.optimisticEveryRounds ?? 3;
  const snubTimeout = opts.snubTimeoutMs ?? DEFAULT_SNUB_TIMEOUT_MS;
  checkCount('slots', slots);
  checkCount('optimisticSlots', optimisticSlots);
  checkCount('round', round);
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`optimisticEveryRounds must be a positive integer, got ${every}`);

  const byId = [...peers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < byId.length; i++) if (byId[i]!.id === byId[i - 1]!.id) throw new Error(`duplicate peer id ${byId[i]!.id}`);
  const interested = byId.filter((p) => p.interested);

  // Regular slots: shuffle (random tie-break), then a stable sort by rate and by "already unchoked".
  const candidates = interested.filter((p) => !isSnubbed(p, now, snubTimeout));
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = randomIndex(rng, i + 1);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const rate = (p: PeerStats) => {
    const r = seeding ? p.uploadRate : p.downloadRate;
    return Number.isFinite(r) ? r : 0; // a NaN would break the sort
  };
  candidates.sort((a, b) => rate(b) - rate(a) || Number(b.unchokedSince !== undefined) - Number(a.unchokedSince !== undefined));
  const regular = candidates.slice(0, slots).map((p) => p.id);
  const regularSet = new Set(regular);

  // Optimistic slots: keep the previous ones between rotations, draw the rest.
  const previous = new Set(typeof opts.previousOptimistic === 'string' ? [opts.previousOptimistic] : (opts.previousOptimistic ?? []));
  const optimistics: string[] = [];
  if (round % every !== 0) {
    for (const p of interested) {
      if (optimistics.length < optimisticSlots && previous.has(p.id) && !regularSet.has(p.id)) optimistics.push(p.id);
    }
  }
  // Longest waiting first; a random order among equals (and among peers with no time, who go last).
  const pool = interested.filter((p) => !regularSet.has(p.id) && !optimistics.includes(p.id));
  if (optimistics.length < optimisticSlots && pool.length > 0) {
    for (let i = pool.length - 1; i > 0; i--) {
      const j = randomIndex(rng, i + 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    const waited = (p: PeerStats) => (p.chokedSince !== undefined && Number.isFinite(p.chokedSince) ? p.chokedSince : Infinity);
    pool.sort((a, b) => (waited(a) === waited(b) ? 0 : waited(a) < waited(b) ? -1 : 1));
    for (const p of pool) if (optimistics.length < optimisticSlots) optimistics.push(p.id);
  }

  const result: RechokeResult = { unchoked: [...regular, ...optimistics], regular, optimistics };
  if (optimistics.length > 0) result.optimistic = optimistics[0]!;
  return result;
}
