/**
 * The daemon's queue (Transmission's `download_queue_size` / `seed_queue_size`): of the torrents
 * the user wants running, which may run now. Pure: the daemon passes the torrents, gets the ids.
 *
 * Torrents are taken in queue order (position, then id); a torrent started with `start_now` runs
 * whatever the queue says and fills a slot all the same. A torrent still fetching its metadata or
 * checking its data counts as downloading (it will download next).
 */
export interface QueueCandidate {
  id: number;
  queuePosition: number;
  /** Complete: it needs a seeding slot, else a downloading one. */
  complete: boolean;
  /** Started with `start_now`: bypasses the queue. */
  forced: boolean;
}

export interface QueueLimits {
  /** At most this many downloading at once; undefined = no limit. */
  downloads?: number;
  seeds?: number;
}

export function admittedToRun(candidates: readonly QueueCandidate[], limits: QueueLimits): Set<number> {
  const ordered = [...candidates].sort((a, b) => a.queuePosition - b.queuePosition || a.id - b.id);
  const running = new Set<number>();
  let downloads = 0;
  let seeds = 0;
  for (const c of ordered) {
    if (!c.forced) continue;
    running.add(c.id);
    if (c.complete) seeds++;
    else downloads++;
  }
  for (const c of ordered) {
    if (c.forced) continue;
    if (c.complete) {
      if (limits.seeds !== undefined && seeds >= limits.seeds) continue;
      seeds++;
    } else {
      if (limits.downloads !== undefined && downloads >= limits.downloads) continue;
      downloads++;
    }
    running.add(c.id);
  }
  return running;
}

/** Queue positions 0…n-1 after moving `moved` to the top, up one, down one or to the bottom (queue_move_*). */
export function moveInQueue(order: readonly number[], moved: ReadonlySet<number>, how: 'top' | 'up' | 'down' | 'bottom'): number[] {
  const list = [...order];
  if (how === 'top') return [...list.filter((id) => moved.has(id)), ...list.filter((id) => !moved.has(id))];
  if (how === 'bottom') return [...list.filter((id) => !moved.has(id)), ...list.filter((id) => moved.has(id))];
  if (how === 'up') {
    for (let i = 1; i < list.length; i++) {
      if (moved.has(list[i]!) && !moved.has(list[i - 1]!)) [list[i - 1], list[i]] = [list[i]!, list[i - 1]!];
    }
  } else {
    for (let i = list.length - 2; i >= 0; i--) {
      if (moved.has(list[i]!) && !moved.has(list[i + 1]!)) [list[i], list[i + 1]] = [list[i + 1]!, list[i]!];
    }
  }
  return list;
}
