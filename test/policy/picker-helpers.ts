// Compact builders for piece picker tests, after libtorrent's test_piece_picker: an availability string
// ("2223333": piece i is held by that many peers) and a have string ("x" = we have the piece).
import { PiecePicker, type BlockRequest, type PickOptions } from '../../src/policy/piece-picker.js';

export { seededRng } from '../support/fuzz.js';

/** Block size used by the compact pictures: tiny, so geometry stays readable. */
export const BLOCK = 16;

export interface PictureOptions {
  /** 'x' at position i: we have piece i. */
  have?: string;
  blocksPerPiece?: number;
  randomFirstPieces?: number;
}

/**
 * A picker whose piece i is held by `availability[i]` (a digit) background peers "p0".."p8"; peer pj has
 * piece i iff j < availability[i]. Random-first is off unless asked for, so the rarest-first order shows.
 */
export function pickerFromAvailability(availability: string, opts: PictureOptions = {}): PiecePicker {
  const blocksPerPiece = opts.blocksPerPiece ?? 4;
  const pieceCount = availability.length;
  const picker = new PiecePicker({
    pieceCount,
    pieceLength: BLOCK * blocksPerPiece,
    totalLength: BLOCK * blocksPerPiece * pieceCount,
    blockSize: BLOCK,
    randomFirstPieces: opts.randomFirstPieces ?? 0,
  });
  const levels = [...availability].map((c) => Number(c));
  const most = Math.max(0, ...levels);
  for (let j = 0; j < most; j++) picker.peerBitfield(`p${j}`, bitfield(levels.map((level) => j < level)));
  [...(opts.have ?? '')].forEach((c, i) => {
    if (c === 'x') picker.setHave(i);
  });
  picker.assertInvariants();
  return picker;
}

/** A wire bitfield (MSB first) from booleans or a string of '1'/'x' (has) and anything else (lacks). */
export function bitfield(has: readonly boolean[] | string): Uint8Array {
  const flags = typeof has === 'string' ? [...has].map((c) => c === '1' || c === 'x') : has;
  const bits = new Uint8Array(Math.ceil(flags.length / 8));
  flags.forEach((f, i) => {
    if (f) bits[i >> 3]! |= 0x80 >> (i & 7);
  });
  return bits;
}

/** Picks for the peer, checking invariants afterwards. */
export function pick(picker: PiecePicker, peerId: string, max: number, opts: PickOptions): BlockRequest[] {
  const picked = picker.pickRequests(peerId, max, opts);
  picker.assertInvariants();
  return picked;
}

/** Distinct piece indexes, in first-seen order. */
export function piecesOf(requests: readonly BlockRequest[]): number[] {
  return [...new Set(requests.map((r) => r.index))];
}

/** An rng that returns the given values in turn (then repeats the last). */
export function scriptedRng(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

/** Receives every block outstanding at the peer; verifies each piece it completes. */
export function receiveAll(picker: PiecePicker, peerId: string): void {
  for (const req of picker.outstanding(peerId)) {
    const result = picker.blockReceived(peerId, req);
    if (result.pieceComplete) picker.pieceVerified(req.index);
  }
  picker.assertInvariants();
}
