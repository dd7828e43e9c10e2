// The bench's settings, from the environment: full sizes by default (the sizes the targets are
// set for), smaller ones with BENCH_QUICK=1 so the whole comparison runs in a couple of minutes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_DIR = path.join(ROOT, 'bench');

export interface BenchConfig {
  quick: boolean;
  /** Runs per case; each case reports the median. */
  runs: number;
  transferMiB: number;
  /** The uTP transfer (libtorrent's uTP is slow on loopback: 18 MB/s). */
  utpMiB: number;
  /** The second size of the leecher-RSS case ("flat from 512 MiB to 4 GiB"). */
  largeMiB: number;
  swarmMiB: number;
  swarmLeechers: number;
  checkMiB: number;
  /** Seconds each tracker load lasts (after a short warm-up that is not counted). */
  trackerSeconds: number;
  simPeers: number;
  simMiB: number;
  startupRuns: number;
  /** Runs of the large-payload RSS case (its RSS barely varies and each run moves gigabytes). */
  largeRuns: number;
  /** Every generated torrent uses this piece length, whichever client reads it. */
  pieceLength: number;
  /** Case ids to run (BENCH_ONLY=transfer,check); undefined runs all. */
  only?: Set<string>;
  resultsFile: string;
  writeReadme: boolean;
}

/** A positive number from the environment; `int` for counts and sizes in MiB (payloads are made 1 MiB at a time). */
function num(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

function int(name: string, fallback: number): number {
  return Math.max(1, Math.round(num(name, fallback)));
}

export function readConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    quick,
    runs: int('BENCH_RUNS', quick ? 1 : 3),
    transferMiB: int('BENCH_TRANSFER_MIB', quick ? 64 : 512),
    utpMiB: int('BENCH_UTP_MIB', quick ? 32 : 256),
    largeMiB: int('BENCH_LARGE_MIB', quick ? 128 : 4096),
    swarmMiB: int('BENCH_SWARM_MIB', quick ? 64 : 256),
    swarmLeechers: int('BENCH_SWARM_LEECHERS', quick ? 2 : 8),
    checkMiB: int('BENCH_CHECK_MIB', quick ? 128 : 1024),
    trackerSeconds: num('BENCH_TRACKER_SECONDS', quick ? 1.5 : 4),
    simPeers: int('BENCH_SIM_PEERS', quick ? 8 : 30),
    simMiB: int('BENCH_SIM_MIB', quick ? 16 : 64),
    startupRuns: int('BENCH_STARTUP_RUNS', 10),
    largeRuns: int('BENCH_LARGE_RUNS', 1),
    pieceLength: 256 * 1024,
    only: only?.length ? new Set(only) : undefined,
    resultsFile: path.resolve(ROOT, process.env.BENCH_RESULTS ?? 'bench/results.json'),
    writeReadme: process.env.BENCH_WRITE_README === '1',
  };
}
