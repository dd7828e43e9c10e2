/**
 * V8 optimises a function with TurboFan once it has run for an "interrupt budget" of bytecode. The
 * default suits a browser tab; a peer process spends its first seconds compiling code that runs a
 * few hundred times: in a 9-process swarm on 2 cores TurboFan was 18–20 % of a leecher's CPU. An
 * 8× budget leaves that lukewarm code to the baseline tiers and still optimises the hot paths
 * (per block, per message) within the first thousands of calls: in alternating runs of the 1 → 8
 * swarm bench, 8 % less CPU and wall time.
 */
export const INTERRUPT_BUDGET = 8 * 66 * 1024;

/**
 * A peer's young generation (V8's nursery) stops growing at 8 MiB, two 4 MiB semi-spaces. A
 * transfer at full speed reaches that in its first second; V8 then doubles it each time the bytes
 * surviving minor collections add up to its size, which in a transfer happens every few hundred MiB
 * (blocks and requests in flight, not a larger working set), and each doubling stays resident: a
 * 4 GiB download peaked at 105–111 MiB against 84 MiB for 512 MiB. Capped, both peak at 74–76 MiB,
 * with no more CPU (fewer, not longer, minor collections: what survives them is the same).
 */
export const YOUNG_GENERATION_CAP = 8 * 2 ** 20;
/** The commands that move payload for as long as they run. */
const PEER_COMMANDS = new Set(['download', 'seed', 'daemon']);

type V8 = typeof import('node:v8');

/**
 * Run before a command's modules load (a function's budget is fixed when it first runs). A setting
 * given on node's command line wins. node:v8 is loaded here, not at start, so `--help` and usage
 * errors do not pay for it.
 */
export async function tuneV8(_program: unknown, command: { name(): string }): Promise<void> {
  const v8 = await import('node:v8');
  if (!givenToNode(/^--interrupt[-_]budget/)) v8.setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  if (PEER_COMMANDS.has(command.name()) && !givenToNode(/^--((min|max)[-_])?semi[-_]space/)) await capYoungGeneration(v8);
}

/**
 * V8 reads the nursery's maximum only when the process starts, but its growth factor whenever it
 * grows: the factor goes to 1 once the nursery has reached the cap, as seen after a collection.
 */
async function capYoungGeneration(v8: V8): Promise<void> {
  const youngSize = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  const { PerformanceObserver } = await import('node:perf_hooks');
  const observer = new PerformanceObserver(() => {
    if (youngSize() < YOUNG_GENERATION_CAP) return;
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** V8 takes `_` for `-` in its flags' names. */
function givenToNode(flag: RegExp): boolean {
  return process.execArgv.some((arg) => flag.test(arg));
}
