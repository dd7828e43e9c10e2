// Run as a child by v8-tuning.test.ts: tunes V8 as the CLI does before COMMAND, then allocates objects
// that survive a few minor collections (as blocks in flight do), and prints the largest young
// generation seen. Bounded: 4000 rounds or 3 s.
import v8 from 'node:v8';
import { tuneV8 } from '../../../src/cli/v8-tuning.js';

await tuneV8(undefined, { name: () => process.argv[2]! });
const young = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;
let max = young();
const SLOTS = 1 << 17;
const BATCH = 1 << 13;
const window: object[] = new Array(SLOTS);
const deadline = Date.now() + 3000;
for (let round = 0; round < 4000 && Date.now() < deadline; round++) {
  for (let i = 0; i < BATCH; i++) window[(round * BATCH + i) % SLOTS] = { round, i, pad: [i, round] };
  max = Math.max(max, young());
  // Work comes in events, as a peer's does: the cap is applied between them.
  await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write(`${JSON.stringify({ maxYoungMiB: max / 2 ** 20 })}\n`);
