import type { SnapshotFrom } from 'xstate';
import type { daemonTorrentMachine } from './daemon-torrent.js';

/**
 * What the daemon's RPC, web UI and metrics may know of a daemon torrent's machine: small read
 * views of its snapshot, so nothing outside src/actors reads its context or state names.
 */
export type DaemonTorrentSnapshot = SnapshotFrom<typeof daemonTorrentMachine>;

/** Transmission-like phases: `stopping` while a run winds down. */
export type DaemonTorrentPhase = 'stopped' | 'queued' | 'metadata' | 'checking' | 'downloading' | 'seeding' | 'stopping' | 'failed';

export function daemonTorrentPhase(s: DaemonTorrentSnapshot): DaemonTorrentPhase {
  if (s.matches('stopped') || s.matches('closed')) return 'stopped';
  if (s.matches('queued')) return 'queued';
  if (s.matches('failed')) return 'failed';
  if (s.matches({ running: 'metadata' })) return 'metadata';
  if (s.matches({ running: 'downloading' })) return 'downloading';
  if (s.matches({ running: 'seeding' })) return 'seeding';
  if (s.matches('running') || s.matches('verifying')) return 'checking';
  return 'stopping';
}

/** A run (a handle or a metadata fetch) may exist: running, verifying, or being stopped. */
export function hasRun(s: DaemonTorrentSnapshot): boolean {
  return s.matches('running') || s.matches('verifying') || s.matches('halting') || s.matches('restarting') || s.matches({ changing: 'halting' }) || s.matches('closing');
}

/** A torrent not running being hashed, to stop again after (torrent_verify while stopped). */
export function checkingWhileStopped(s: DaemonTorrentSnapshot): boolean {
  return s.matches('verifying');
}

export function torrentError(s: DaemonTorrentSnapshot): string {
  return s.context.error;
}

/** The user wants it to run (not paused). */
export function wantsToRun(s: DaemonTorrentSnapshot): boolean {
  return s.context.wanted;
}

/** How the queue sees it: does it ask for a slot, does it hold one, did start_now force it. */
export interface QueueStanding {
  candidate: boolean;
  holdsSlot: boolean;
  waiting: boolean;
  forced: boolean;
}

export function queueStanding(s: DaemonTorrentSnapshot): QueueStanding {
  const holdsSlot = s.matches('running') || (s.matches('changing') && s.context.resumeRunning) || s.matches('restarting');
  const waiting = s.matches('queued');
  return {
    candidate: s.context.wanted && (holdsSlot || waiting),
    holdsSlot,
    waiting,
    forced: s.context.forced,
  };
}
