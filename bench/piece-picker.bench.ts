// Piece picker throughput: 100k pieces of 256 KiB (16 blocks), 50 peers with random bitfields (no seeds, so
// the rarest-first scans are real). A full simulated download: each step, one random peer has its oldest
// request answered and its pipeline refilled. The bar: 30,000 blocks/s must cost a small share of one core.
// Run: node --import tsx bench/piece-picker.bench.ts
import { PiecePicker } from '../src/policy/piece-picker.js';
import { seededRng } from '../src/env/rng.js';


const PIECES = 100_000;
const PIECE_LENGTH = 256 * 1024;
const PEERS = 50;
const PIPELINE = Number(process.argv[2] ?? 16);

const rng = seededRng(1);
const picker = new PiecePicker({ pieceCount: PIECES, pieceLength: PIECE_LENGTH, totalLength: PIECES * PIECE_LENGTH });
const ids = Array.from({ length: PEERS }, (_, i) => `peer${i}`);

let started = performance.now();
const bitfields = ids.map(() => {
  const density = 0.1 + rng() * 0.8;
  const bits = new Uint8Array(Math.ceil(PIECES / 8));
  for (let i = 0; i < PIECES; i++) if (rng() < density) bits[i >> 3]! |= 0x80 >> (i & 7);
  return bits;
});
for (let i = 0; i < PIECES; i++) bitfields[i % PEERS]![i >> 3]! |= 0x80 >> (i & 7); // everything is somewhere
ids.forEach((id, j) => picker.peerBitfield(id, bitfields[j]!));
console.log(`piece picker: ${PEERS} bitfields of ${PIECES} pieces in ${(performance.now() - started).toFixed(0)} ms`);

let picks = 0;
let calls = 0;
let blocks = 0;
let pickMs = 0;
started = performance.now();
let lastReport = 0;
const queues = new Map(ids.map((id) => [id, [] as { index: number; begin: number; length: number }[]]));
while (!picker.isComplete()) {
  const id = ids[Math.floor(rng() * PEERS)]!;
  const queue = queues.get(id)!;
  const head = queue.shift();
  if (head) {
    const result = picker.blockReceived(id, head);
    if (result.accepted) blocks++;
    for (const other of result.cancelFrom) {
      const q = queues.get(other)!;
      const at = q.findIndex((r) => r.index === head.index && r.begin === head.begin);
      if (at >= 0) q.splice(at, 1);
    }
    if (result.pieceComplete) picker.pieceVerified(head.index);
  }
  const t0 = performance.now();
  const got = picker.pickRequests(id, PIPELINE - queue.length, { rng });
  pickMs += performance.now() - t0;
  calls++;
  picks += got.length;
  queue.push(...got);
  const progress = Math.floor((picker.haveCount / PIECES) * 4);
  if (progress > lastReport) {
    lastReport = progress;
    console.log(`  ${progress * 25}%: ${picks} blocks picked in ${calls} calls, ${pickMs.toFixed(0)} ms inside pickRequests`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(
  `piece picker: ${PIECES} pieces, ${PEERS} peers, pipeline ${PIPELINE}: ${blocks} blocks received, ${picks} picked (endgame duplicates included) in ${calls} calls`,
);
console.log(
  `  pickRequests: ${(picks / (pickMs / 1000)).toFixed(0)} picks/s, ${(calls / (pickMs / 1000)).toFixed(0)} calls/s; whole loop ${seconds.toFixed(2)} s = ${(blocks / seconds).toFixed(0)} blocks/s`,
);
