/**
 * Availability counts for every piece, plus the pickable pieces kept sorted by availability in one array
 * cut into buckets (libtorrent's layout): bucket L holds the pickable pieces whose count is L, at
 * `order[starts[L] .. starts[L+1])`. Moving a piece one level up or down is one swap with the bucket edge,
 * so a peer joining with a bitfield costs O(pieces it has) and picking the rarest is "first non-empty
 * bucket", not a sort. Insert/remove walk the buckets above the piece: O(max availability).
 *
 * Counts here exclude seeds: a seed raises every piece by one and changes no order, so the picker keeps
 * seeds as a single number.
 */
export class AvailabilityOrder {
  /** Availability (without seeds) of every piece, pickable or not. */
  readonly counts: Uint32Array;
  /** Pickable pieces, by bucket; only `order[0 .. size)` is meaningful. */
  readonly order: Int32Array;
  /** Position of each piece in `order`, or -1 when not pickable. */
  readonly pos: Int32Array;
  /** starts[L] = first index of bucket L; bucket L ends where bucket L+1 starts (the last at `size`). */
  private readonly starts: number[] = [0];
  private count = 0;

  /** `counts` may be shared by several orders (the picker's priority classes): a piece sits in one at most. */
  constructor(pieceCount: number, counts: Uint32Array = new Uint32Array(pieceCount)) {
    this.counts = counts;
    this.order = new Int32Array(pieceCount);
    this.pos = new Int32Array(pieceCount).fill(-1);
  }

  /** Number of pickable pieces. */
  get size(): number {
    return this.count;
  }

  get levels(): number {
    return this.starts.length;
  }

  has(piece: number): boolean {
    return this.pos[piece]! >= 0;
  }

  /** [start, end) of bucket `level` in `order`. */
  bucketStart(level: number): number {
    return level < this.starts.length ? this.starts[level]! : this.count;
  }

  bucketEnd(level: number): number {
    return level + 1 < this.starts.length ? this.starts[level + 1]! : this.count;
  }

  increment(piece: number): void {
    const level = this.counts[piece]!;
    this.counts[piece] = level + 1;
    const at = this.pos[piece]!;
    if (at < 0) return;
    this.ensureLevels(level + 2);
    const last = this.starts[level + 1]! - 1;
    this.swap(at, last);
    this.starts[level + 1] = last;
  }

  decrement(piece: number): void {
    const level = this.counts[piece]!;
    if (level === 0) throw new Error(`availability of piece ${piece} would go negative`);
    this.counts[piece] = level - 1;
    const at = this.pos[piece]!;
    if (at < 0) return;
    const first = this.starts[level]!;
    this.swap(at, first);
    this.starts[level] = first + 1;
  }

  /** Makes `piece` pickable (no-op if it already is). */
  insert(piece: number): void {
    if (this.pos[piece]! >= 0) return;
    const level = this.counts[piece]!;
    this.ensureLevels(level + 1);
    let at = this.count++;
    this.order[at] = piece;
    this.pos[piece] = at;
    // The new slot belongs to the top bucket: walk down, trading places with each bucket's first piece.
    for (let l = this.starts.length - 1; l > level; l--) {
      const first = this.starts[l]!;
      this.swap(at, first);
      this.starts[l] = first + 1;
      at = first;
    }
  }

  /** Makes `piece` unpickable (no-op if it is not pickable). */
  remove(piece: number): void {
    let at = this.pos[piece]!;
    if (at < 0) return;
    // Walk up, trading places with each bucket's last piece, until it sits at the very end.
    for (let l = this.counts[piece]!; l < this.starts.length; l++) {
      const end = this.bucketEnd(l);
      this.swap(at, end - 1);
      at = end - 1;
      if (l + 1 < this.starts.length) this.starts[l + 1] = end - 1;
    }
    this.count--;
    this.pos[piece] = -1;
  }

  /** Throws if the buckets, positions and counts disagree. */
  check(): void {
    const { order, pos, counts, starts } = this;
    if (starts[0] !== 0) throw new Error('bucket 0 must start at 0');
    for (let l = 0; l < starts.length; l++) {
      const start = this.bucketStart(l);
      const end = this.bucketEnd(l);
      if (start > end) throw new Error(`bucket ${l} has negative size`);
      for (let i = start; i < end; i++) {
        const piece = order[i]!;
        if (pos[piece] !== i) throw new Error(`piece ${piece} at ${i} but pos says ${pos[piece]}`);
        if (counts[piece] !== l) throw new Error(`piece ${piece} with availability ${counts[piece]} sits in bucket ${l}`);
      }
    }
    let listed = 0;
    for (let piece = 0; piece < pos.length; piece++) if (pos[piece]! >= 0) listed++;
    if (listed !== this.count) throw new Error(`${listed} pieces have a position but size is ${this.count}`);
  }

  private ensureLevels(levels: number): void {
    while (this.starts.length < levels) this.starts.push(this.count);
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    const a = this.order[i]!;
    const b = this.order[j]!;
    this.order[i] = b;
    this.order[j] = a;
    this.pos[a] = j;
    this.pos[b] = i;
  }
}
