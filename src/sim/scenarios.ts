import { seededRng } from '../env/rng.js';
import type { ScenarioSpec, SimPeerSpec } from './scenario.js';

/**
 * The simulator's scenarios, as data; the assertions on their results live in test/sim. Each takes
 * its seed (same seed, same run) and the knobs `actorrent sim` exposes.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export interface SwarmKnobs {
  seed?: number;
  leechers?: number;
  size?: number;
  latencyMs?: number;
  pieceLength?: number;
}

/** 1. One seeder and N leechers that all start together; the leechers must serve each other. */
export function swarmScenario(knobs: SwarmKnobs = {}): ScenarioSpec {
  const leechers = knobs.leechers ?? 30;
  return {
    name: 'swarm',
    seed: knobs.seed ?? 1,
    size: knobs.size ?? 64 * MiB,
    pieceLength: knobs.pieceLength ?? 256 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 20 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: 8 * MiB },
      ...Array.from({ length: leechers }, (_, i): SimPeerSpec => ({ name: `leecher-${i + 1}`, role: 'leecher', upload: 4 * MiB, download: 16 * MiB })),
    ],
    deadlineMs: 30 * 60_000,
  };
}

/**
 * 6. A connection flood: the swarm of scenario 1, and a host that holds `connections` idle
 * connections to the seeder (never a byte sent, each reopened a second after it is closed) from
 * before the leechers join. The swarm must complete nearly as fast as without it.
 */
export function idleFloodScenario(knobs: SwarmKnobs & { connections?: number } = {}): ScenarioSpec {
  const base = swarmScenario({ leechers: 10, size: 16 * MiB, ...knobs });
  return {
    ...base,
    name: 'idle-flood',
    // The leechers join once the flood is in place.
    peers: base.peers.map((p) => (p.role === 'leecher' ? { ...p, joinAtMs: 2000 } : p)),
    idleFloods: knobs.connections === 0 ? [] : [{ name: 'flood', target: 'seeder', connections: knobs.connections ?? 500, startAtMs: 100 }],
  };
}

/**
 * 2. Churn: leechers join at random times in the first 30 s; some leave (abruptly, without telling
 * the tracker) at random times. Peers find each other through actorrent's tracker (HTTP, announce
 * every 30 s). Everyone still present at the end must complete.
 */
export function churnScenario(knobs: SwarmKnobs & { leavers?: number } = {}): ScenarioSpec {
  const seed = knobs.seed ?? 2;
  const rng = seededRng(seed);
  const leechers = knobs.leechers ?? 12;
  const leavers = Math.min(leechers, knobs.leavers ?? Math.floor(leechers / 3));
  const peers: SimPeerSpec[] = [{ name: 'seeder', role: 'seeder', upload: 2 * MiB }];
  for (let i = 0; i < leechers; i++) {
    const joinAtMs = Math.floor(rng() * 30_000);
    // Leavers go while still downloading (or just after): the others must cope with the lost connections.
    const leaveAtMs = i < leavers ? joinAtMs + 500 + Math.floor(rng() * 5_000) : undefined;
    peers.push({ name: `leecher-${i + 1}`, role: 'leecher', upload: 1 * MiB, download: 4 * MiB, joinAtMs, leaveAtMs });
  }
  return {
    name: 'churn',
    seed,
    size: knobs.size ?? 8 * MiB,
    pieceLength: knobs.pieceLength ?? 128 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 30, loss: 0.01 },
    tracker: { protocol: 'http', intervalS: 30 },
    peers,
    deadlineMs: 30 * 60_000,
  };
}

/**
 * 3. A fast peer that serves one wrong block in a few pieces, beside an honest seeder: too few bad
 * pieces for the hash-failure strikes (3) to ban it; only block-level attribution can.
 */
export function corruptPeerScenario(knobs: SwarmKnobs = {}): ScenarioSpec {
  return {
    name: 'corrupt-peer',
    seed: knobs.seed ?? 3,
    size: knobs.size ?? 4 * MiB,
    pieceLength: knobs.pieceLength ?? 256 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 20 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: 1 * MiB },
      ...Array.from({ length: knobs.leechers ?? 2 }, (_, i): SimPeerSpec => ({ name: `leecher-${i + 1}`, role: 'leecher', upload: 1 * MiB })),
    ],
    corruptPeers: [{ name: 'corrupt', upload: 1 * MiB, corruptBlock: (piece, block) => piece % 8 === 3 && block === 1 }],
    deadlineMs: 10 * 60_000,
  };
}

/** 4. Two fast seeders and a slow one: the endgame must not wait on the slow link. */
export const SLOW_FAST = { fastUpload: 4 * MiB, slowUpload: 32 * KiB, fastSeeders: 2 };

export function slowFastScenario(knobs: SwarmKnobs = {}): ScenarioSpec {
  return {
    name: 'slow-fast',
    seed: knobs.seed ?? 4,
    size: knobs.size ?? 16 * MiB,
    pieceLength: knobs.pieceLength ?? 256 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 20 },
    peers: [
      ...Array.from({ length: SLOW_FAST.fastSeeders }, (_, i): SimPeerSpec => ({ name: `fast-${i + 1}`, role: 'seeder', upload: SLOW_FAST.fastUpload })),
      { name: 'slow', role: 'seeder', upload: SLOW_FAST.slowUpload },
      { name: 'leecher', role: 'leecher' },
    ],
    deadlineMs: 30 * 60_000,
  };
}

/**
 * 5. Choking fairness: one seeder whose uplink is the bottleneck, 20 leechers that know only the
 * seeder, 30 simulated minutes; the torrent is too big for anyone to finish.
 */
export const FAIRNESS = { leechers: 20, durationMs: 30 * 60_000, seederUpload: 256 * KiB };

export function fairnessScenario(knobs: SwarmKnobs = {}): ScenarioSpec {
  return {
    name: 'choking-fairness',
    seed: knobs.seed ?? 5,
    size: knobs.size ?? 64 * MiB,
    pieceLength: knobs.pieceLength ?? 256 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 20 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: FAIRNESS.seederUpload },
      ...Array.from({ length: knobs.leechers ?? FAIRNESS.leechers }, (_, i): SimPeerSpec => ({ name: `leecher-${i + 1}`, role: 'leecher', dial: 'seeders' })),
    ],
    // The seeder's choker is what is measured: leechers must not find each other by PEX.
    pex: false,
    deadlineMs: FAIRNESS.durationMs,
  };
}

/**
 * 7. Peer exchange: each leecher is told only of the seeder (as a tracker that hands out seeders
 * would), whose uplink is too slow to serve them all; the leechers must learn each other from the
 * seeder's ut_pex messages (BEP 11), and from each other's, and trade pieces to finish in time.
 * `pex: false` is the control: the same swarm where nobody learns of anybody.
 */
export const PEX_SWARM = { leechers: 6, seederUpload: 256 * KiB };

export function pexScenario(knobs: SwarmKnobs & { pex?: boolean } = {}): ScenarioSpec {
  return {
    name: 'pex',
    seed: knobs.seed ?? 7,
    size: knobs.size ?? 8 * MiB,
    pieceLength: knobs.pieceLength ?? 128 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 20 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: PEX_SWARM.seederUpload },
      // Joining one after another: the later ones are announced to the earlier ones in a PEX diff.
      ...Array.from({ length: knobs.leechers ?? PEX_SWARM.leechers }, (_, i): SimPeerSpec => ({
        name: `leecher-${i + 1}`,
        role: 'leecher',
        upload: 2 * MiB,
        dial: 'seeders',
        joinAtMs: i * 5_000,
      })),
    ],
    pex: knobs.pex ?? true,
    deadlineMs: 10 * 60_000,
  };
}

/**
 * 8. Magnet links: leechers join one after another knowing only the infohash and the tracker; each
 * fetches the info dictionary over ut_metadata from whoever has it (the seeder, or leechers that
 * already have it), then downloads. Small pieces make a dictionary of several metadata pieces.
 */
export function magnetScenario(knobs: SwarmKnobs = {}): ScenarioSpec {
  return {
    name: 'magnet',
    seed: knobs.seed ?? 8,
    size: knobs.size ?? 24 * MiB,
    pieceLength: knobs.pieceLength ?? 16 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 20 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: 2 * MiB },
      ...Array.from({ length: knobs.leechers ?? 8 }, (_, i): SimPeerSpec => ({
        name: `leecher-${i + 1}`,
        role: 'leecher',
        upload: 2 * MiB,
        joinAtMs: i * 2_000,
      })),
    ],
    tracker: { protocol: 'http', intervalS: 30 },
    magnet: true,
    deadlineMs: 10 * 60_000,
  };
}

/**
 * 9. Local Service Discovery: no tracker and no addresses handed out; the peers find each other
 * only by the BEP 14 announces multicast on the simulated LAN (each peer announces when it joins:
 * those already there hear it and dial it). PEX is off, so every connection is LSD's doing.
 * `lsd: false` is the control: nobody ever meets anybody.
 */
export function lsdScenario(knobs: SwarmKnobs & { lsd?: boolean } = {}): ScenarioSpec {
  return {
    name: 'lsd',
    seed: knobs.seed ?? 9,
    size: knobs.size ?? 4 * MiB,
    pieceLength: knobs.pieceLength ?? 64 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 2 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: 512 * KiB, dial: 'nobody' },
      ...Array.from({ length: knobs.leechers ?? 4 }, (_, i): SimPeerSpec => ({
        name: `leecher-${i + 1}`,
        role: 'leecher',
        upload: 2 * MiB,
        dial: 'nobody',
        joinAtMs: i * 3_000,
      })),
    ],
    lsd: knobs.lsd ?? true,
    pex: false,
    deadlineMs: 5 * 60_000,
  };
}

/**
 * 10. Protocol encryption (MSE): a seeder that accepts both, two leechers that require encryption,
 * one that prefers it and one that disables it. The require and disable leechers can never talk to
 * each other; the one that prefers encryption reaches the one that disables it by falling back to
 * plaintext. Everyone still completes, and the trace names each connection's encryption.
 */
export function encryptionScenario(knobs: SwarmKnobs = {}): ScenarioSpec {
  const modes = ['require', 'require', 'prefer', 'disable'] as const;
  return {
    name: 'encryption',
    seed: knobs.seed ?? 10,
    size: knobs.size ?? 4 * MiB,
    pieceLength: knobs.pieceLength ?? 64 * KiB,
    link: { latencyMs: knobs.latencyMs ?? 10 },
    peers: [
      { name: 'seeder', role: 'seeder', upload: 1 * MiB, encryption: 'prefer' },
      ...modes.map((mode, i): SimPeerSpec => ({ name: `leecher-${i + 1}-${mode}`, role: 'leecher', upload: 1 * MiB, joinAtMs: i * 500, encryption: mode })),
    ],
    deadlineMs: 5 * 60_000,
  };
}
