import { parsePeerAddress } from '../protocol/peer-address.js';
import { formatAddress } from '../util/socket-address.js';

/*
 * The decisions of Local Service Discovery (BEP 14), pure: time comes in as `now`, every function
 * returns new state and leaves its argument untouched.
 *
 * Outgoing, per torrent: announced as soon as it is added, then every 5 minutes (libtorrent's
 * interval), never twice within a minute, even when it is removed and added again.
 * Incoming: token buckets, one for everything and one per source address, so a flood from the LAN
 * costs a bounded amount of work; at most `maxSources` addresses are remembered (the least recently
 * heard is forgotten first), so spoofed sources cannot grow memory.
 */

export interface LsdScheduleOptions {
  /** Between two announces of one torrent. */
  reannounceMs: number;
  /** The least time between two announces of one torrent, whatever happens. */
  minGapMs: number;
}

export const DEFAULT_LSD_SCHEDULE: LsdScheduleOptions = { reannounceMs: 5 * 60_000, minGapMs: 60_000 };

export interface ScheduledTorrent {
  /** False once removed: kept only to honour `minGapMs` if it comes back. */
  readonly active: boolean;
  readonly dueAt: number;
  readonly lastAnnouncedAt?: number;
}

/** By infohash (hex). */
export type LsdSchedule = ReadonlyMap<string, ScheduledTorrent>;

export function emptySchedule(): LsdSchedule {
  return new Map();
}

/** Due at once, or a minute after its last announce if that was more recent. */
export function scheduleTorrent(schedule: LsdSchedule, infoHash: string, now: number, options = DEFAULT_LSD_SCHEDULE): LsdSchedule {
  const known = schedule.get(infoHash);
  if (known?.active) return schedule;
  const last = known?.lastAnnouncedAt;
  const dueAt = last === undefined ? now : Math.max(now, last + options.minGapMs);
  const next = new Map(schedule);
  next.set(infoHash, { active: true, dueAt, ...(last === undefined ? {} : { lastAnnouncedAt: last }) });
  return next;
}

export function unscheduleTorrent(schedule: LsdSchedule, infoHash: string): LsdSchedule {
  const known = schedule.get(infoHash);
  if (!known?.active) return schedule;
  const next = new Map(schedule);
  if (known.lastAnnouncedAt === undefined) next.delete(infoHash);
  else next.set(infoHash, { ...known, active: false });
  return next;
}

/**
 * The infohashes to announce now (in the order they were added), and the schedule after they are
 * sent: each due again `reannounceMs` later. Removed torrents whose minute has passed are forgotten.
 */
export function takeDue(schedule: LsdSchedule, now: number, options = DEFAULT_LSD_SCHEDULE): { due: string[]; schedule: LsdSchedule } {
  const due: string[] = [];
  let next: Map<string, ScheduledTorrent> | undefined;
  for (const [infoHash, torrent] of schedule) {
    if (!torrent.active) {
      if (torrent.lastAnnouncedAt === undefined || torrent.lastAnnouncedAt + options.minGapMs <= now) {
        next ??= new Map(schedule);
        next.delete(infoHash);
      }
      continue;
    }
    if (torrent.dueAt > now) continue;
    due.push(infoHash);
    next ??= new Map(schedule);
    next.set(infoHash, { active: true, dueAt: now + options.reannounceMs, lastAnnouncedAt: now });
  }
  return { due, schedule: next ?? schedule };
}

/** When the next torrent is due; undefined when none is scheduled. */
export function nextDueAt(schedule: LsdSchedule): number | undefined {
  let earliest: number | undefined;
  for (const torrent of schedule.values()) {
    if (torrent.active && (earliest === undefined || torrent.dueAt < earliest)) earliest = torrent.dueAt;
  }
  return earliest;
}

export function scheduledTorrents(schedule: LsdSchedule): string[] {
  return [...schedule].filter(([, t]) => t.active).map(([infoHash]) => infoHash);
}

// ---- Incoming ----

/**
 * The peer an announce stands for: its sender's address with the announced port. None for an IPv6
 * link-local sender: without the interface (which the datagram does not carry) it cannot be dialled.
 */
export function lsdPeer(address: string, port: number): { host: string; port: number } | undefined {
  if (/^fe[89ab][0-9a-f]:/i.test(address)) return undefined;
  const peer = parsePeerAddress(formatAddress(address, port));
  return peer && { host: peer.host, port: peer.port };
}

export interface LsdIntakeOptions {
  /** Datagrams from one address: a burst of this many… */
  perSourceBurst: number;
  /** …then this many a second. */
  perSourcePerSecond: number;
  /** Datagrams from everyone together. */
  totalBurst: number;
  totalPerSecond: number;
  /** Source addresses remembered; beyond this the least recently heard is forgotten. */
  maxSources: number;
}

/**
 * libtorrent sends each torrent's announce three times (2 s, then 4 s apart), one torrent per
 * datagram, every 5 minutes: a peer with 20 torrents starting at once sends 20 at once and 40 more
 * within 6 s. Honest peers fit in these limits; what is dropped is only heard again 5 minutes later.
 */
export const DEFAULT_LSD_INTAKE: LsdIntakeOptions = {
  perSourceBurst: 32,
  perSourcePerSecond: 2,
  totalBurst: 128,
  totalPerSecond: 20,
  maxSources: 256,
};

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

export interface LsdIntake {
  readonly total: Bucket;
  /** In order of the last datagram heard from each address, oldest first. */
  readonly sources: ReadonlyMap<string, Bucket>;
}

export function emptyIntake(now: number, options = DEFAULT_LSD_INTAKE): LsdIntake {
  return { total: { tokens: options.totalBurst, at: now }, sources: new Map() };
}

function refill(bucket: Bucket | undefined, now: number, burst: number, perSecond: number): Bucket {
  if (!bucket) return { tokens: burst, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000), at: Math.max(now, bucket.at) };
}

export type IntakeVerdict = 'accepted' | 'over-total-limit' | 'over-source-limit';

/**
 * Whether a datagram from `source` may be read, and the intake after it. A refused datagram changes
 * nothing (its buckets refill from their last use), so a flood is turned away without allocating.
 */
export function admitDatagram(intake: LsdIntake, source: string, now: number, options = DEFAULT_LSD_INTAKE): { verdict: IntakeVerdict; intake: LsdIntake } {
  const total = refill(intake.total, now, options.totalBurst, options.totalPerSecond);
  if (total.tokens < 1) return { verdict: 'over-total-limit', intake };
  const bucket = refill(intake.sources.get(source), now, options.perSourceBurst, options.perSourcePerSecond);
  if (bucket.tokens < 1) return { verdict: 'over-source-limit', intake };
  const sources = new Map(intake.sources);
  sources.delete(source); // re-inserted last: the most recently heard
  sources.set(source, { tokens: bucket.tokens - 1, at: bucket.at });
  while (sources.size > options.maxSources) sources.delete(sources.keys().next().value!);
  return { verdict: 'accepted', intake: { total: { tokens: total.tokens - 1, at: total.at }, sources } };
}
