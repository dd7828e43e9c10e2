import { formatMagnet } from '../../protocol/magnet.js';
import type { PeerInfo } from '../../session.js';
import { ratioLimitOf, uploadRatio } from '../../policy/seed-limits.js';
import type { SessionSettings } from '../settings.js';
import type { TorrentEntry } from '../torrent-entry.js';
import type { RpcStyle } from './protocol.js';
import { legacyName } from './names.js';

/**
 * torrent_get's fields, each a function of one torrent (its entry) and the session settings.
 * Transmission's meanings (transmission.h, tr_stat) and its values where we have no such thing
 * (webseeds: none; DHT: none). A field we do not know is left out, as Transmission does.
 */
export interface FieldContext {
  entry: TorrentEntry;
  settings: SessionSettings;
  style: RpcStyle;
  /** Unix seconds. */
  now: number;
  /** Spells a nested key for the style (snake_case or classic camelCase). */
  key: (snake: string) => string;
}

/** Transmission's tr_torrent_activity. */
export const STATUS = { STOPPED: 0, CHECK_WAIT: 1, CHECK: 2, DOWNLOAD_WAIT: 3, DOWNLOAD: 4, SEED_WAIT: 5, SEED: 6 } as const;

export function statusOf(entry: TorrentEntry): number {
  switch (entry.phase) {
    case 'queued':
      return entry.complete ? STATUS.SEED_WAIT : STATUS.DOWNLOAD_WAIT;
    case 'checking':
      return STATUS.CHECK;
    case 'metadata':
    case 'downloading':
      return STATUS.DOWNLOAD;
    case 'seeding':
      return STATUS.SEED;
    case 'stopping':
      // Transmission has no such status: it is as it was until it has stopped.
      return entry.complete ? STATUS.SEED : STATUS.DOWNLOAD;
    default:
      return STATUS.STOPPED;
  }
}

/** 0 ok, 2 tracker error, 3 local error (tr_stat_errtype; 1, a tracker warning, is not told apart). */
function errorOf(entry: TorrentEntry): { code: number; text: string } {
  if (entry.error) return { code: 3, text: entry.error };
  const tracker = entry.running ? entry.trackers.lastError() : undefined;
  return tracker ? { code: 2, text: tracker } : { code: 0, text: '' };
}

function eta(entry: TorrentEntry): number {
  const phase = entry.phase;
  if (phase !== 'downloading') return -1;
  const rate = entry.rates().down;
  return rate > 0 ? Math.round(entry.byteProgress().leftUntilDone / rate) : -2;
}

function peerObject(peer: PeerInfo, key: (snake: string) => string): Record<string, unknown> {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(peer.address);
  const downloadingFrom = !peer.peerChoking && peer.amInterested;
  const uploadingTo = !peer.amChoking && peer.peerInterested;
  let flags = '';
  if (downloadingFrom) flags += 'D';
  else if (peer.amInterested) flags += 'd';
  if (uploadingTo) flags += 'U';
  else if (peer.peerInterested) flags += 'u';
  if (!peer.peerChoking && !peer.amInterested) flags += 'K';
  if (!peer.amChoking && !peer.peerInterested) flags += '?';
  if (peer.encryption !== 'none') flags += 'E';
  if (peer.source === 'pex') flags += 'X';
  if (peer.direction === 'incoming') flags += 'I';
  return {
    [key('address')]: match?.[1] ?? peer.address,
    [key('port')]: Number(match?.[2] ?? 0),
    [key('client_name')]: peer.client ?? '',
    [key('client_is_choked')]: peer.peerChoking,
    [key('client_is_interested')]: peer.amInterested,
    [key('peer_is_choked')]: peer.amChoking,
    [key('peer_is_interested')]: peer.peerInterested,
    [key('flag_str')]: flags,
    [key('is_downloading_from')]: downloadingFrom,
    [key('is_uploading_to')]: uploadingTo,
    [key('is_encrypted')]: peer.encryption !== 'none',
    [key('is_incoming')]: peer.direction === 'incoming',
    [key('is_utp')]: false,
    [key('peer_id')]: peer.peerId ?? '',
    [key('progress')]: peer.progress,
    [key('rate_to_client')]: Math.round(peer.downloadRate),
    [key('rate_to_peer')]: Math.round(peer.uploadRate),
    [key('bytes_to_client')]: peer.downloaded,
    [key('bytes_to_peer')]: peer.uploaded,
  };
}

function trackerList(entry: TorrentEntry): { announce: string; tier: number; id: number }[] {
  const tiers = entry.meta?.announce ?? (entry.magnet ? entry.magnet.trackers.map((url) => [url]) : []);
  const out: { announce: string; tier: number; id: number }[] = [];
  tiers.forEach((tier, t) => tier.forEach((announce) => out.push({ announce, tier: t, id: out.length })));
  return out;
}

function scrapeUrl(announce: string): string {
  return announce.replace(/\/announce([^/]*)$/, '/scrape$1');
}

function siteName(announce: string): string {
  try {
    const host = new URL(announce).hostname;
    const parts = host.split('.');
    return /^\d+$/.test(parts.at(-1) ?? '') || parts.length < 2 ? host : parts.at(-2)!;
  } catch {
    return '';
  }
}

type Field = (c: FieldContext) => unknown;

const fields: Record<string, Field> = {
  id: ({ entry }) => entry.id,
  hash_string: ({ entry }) => entry.hash,
  name: ({ entry }) => entry.saved.name,
  status: ({ entry }) => statusOf(entry),
  error: ({ entry }) => errorOf(entry).code,
  error_string: ({ entry }) => errorOf(entry).text,
  percent_done: ({ entry }) => {
    const p = entry.byteProgress();
    return p.sizeWhenDone === 0 ? (entry.meta ? 1 : 0) : (p.sizeWhenDone - p.leftUntilDone) / p.sizeWhenDone;
  },
  percent_complete: ({ entry }) => (entry.meta && entry.meta.length > 0 ? entry.byteProgress().haveValid / entry.meta.length : 0),
  metadata_percent_complete: ({ entry }) => entry.metadataProgress(),
  recheck_progress: ({ entry }) => (entry.phase === 'checking' ? entry.checkProgress() : 0),
  left_until_done: ({ entry }) => entry.byteProgress().leftUntilDone,
  size_when_done: ({ entry }) => entry.byteProgress().sizeWhenDone,
  total_size: ({ entry }) => entry.meta?.length ?? 0,
  have_valid: ({ entry }) => entry.byteProgress().haveValid,
  have_unchecked: () => 0,
  desired_available: ({ entry }) => (entry.running ? entry.byteProgress().leftUntilDone : 0),
  corrupt_ever: ({ entry }) => entry.saved.corrupt_ever,
  eta: ({ entry }) => eta(entry),
  eta_idle: () => -1,
  rate_download: ({ entry }) => Math.round(entry.rates().down),
  rate_upload: ({ entry }) => Math.round(entry.rates().up),
  downloaded_ever: ({ entry }) => entry.totals().downloaded,
  uploaded_ever: ({ entry }) => entry.totals().uploaded,
  upload_ratio: ({ entry }) => {
    const t = entry.totals();
    const ratio = uploadRatio(t.uploaded, t.downloaded > 0 ? t.downloaded : entry.byteProgress().haveValid);
    return ratio === Infinity ? -2 : ratio;
  },
  peers_connected: ({ entry }) => entry.rates().peers,
  peers_sending_to_us: ({ entry }) => entry.peers().filter((p) => !p.peerChoking && p.amInterested).length,
  peers_getting_from_us: ({ entry }) => entry.peers().filter((p) => !p.amChoking && p.peerInterested).length,
  peers_from: ({ entry, key }) => {
    const from: Record<string, number> = { from_cache: 0, from_dht: 0, from_incoming: 0, from_lpd: 0, from_ltep: 0, from_pex: 0, from_tracker: 0 };
    const sources: Record<string, string> = { incoming: 'from_incoming', lsd: 'from_lpd', dht: 'from_dht', pex: 'from_pex', tracker: 'from_tracker', magnet: 'from_ltep' };
    for (const p of entry.peers()) {
      const slot = sources[p.source];
      if (slot) from[slot]!++;
    }
    return Object.fromEntries(Object.entries(from).map(([k, v]) => [key(k), v]));
  },
  peers: ({ entry, key }) => entry.peers().filter((p) => p.stage !== 'handshaking').map((p) => peerObject(p, key)),
  webseeds_sending_to_us: () => 0,
  webseeds: ({ entry }) => entry.meta?.urlList ?? [],
  added_date: ({ entry }) => entry.saved.added_date,
  done_date: ({ entry }) => entry.saved.done_date,
  activity_date: ({ entry }) => entry.saved.activity_date,
  start_date: ({ entry }) => (entry.running ? entry.startDate : 0),
  edit_date: () => 0,
  date_created: ({ entry }) => entry.meta?.creationDate ?? 0,
  seconds_downloading: ({ entry }) => entry.seconds().downloading,
  seconds_seeding: ({ entry }) => entry.seconds().seeding,
  download_dir: ({ entry }) => entry.saved.download_dir,
  labels: ({ entry }) => entry.saved.labels,
  group: () => '',
  is_finished: ({ entry, settings }) => {
    if (!entry.complete || !entry.saved.stopped) return false;
    return ratioLimitOf({ ratioMode: entry.saved.seed_ratio_mode, ratioLimit: entry.saved.seed_ratio_limit, session: { ratioLimited: settings.seed_ratio_limited, ratioLimit: settings.seed_ratio_limit, idleLimited: false, idleLimit: 0 } }) !== undefined;
  },
  is_private: ({ entry }) => entry.meta?.private ?? false,
  is_stalled: () => false,
  queue_position: ({ entry }) => entry.saved.queue_position,
  comment: ({ entry }) => entry.meta?.comment ?? '',
  creator: ({ entry }) => entry.meta?.createdBy ?? '',
  magnet_link: ({ entry }) =>
    entry.meta ? formatMagnet({ infoHash: entry.meta.infoHash, name: entry.meta.name, trackers: entry.meta.announce.flat() }) : (entry.saved.magnet ?? ''),
  piece_count: ({ entry }) => entry.meta?.pieceCount ?? 0,
  piece_size: ({ entry }) => entry.meta?.pieceLength ?? 0,
  pieces: ({ entry }) => Buffer.from(entry.haveBitfield()).toString('base64'),
  availability: ({ entry }) => entry.availability(),
  file_count: ({ entry }) => entry.spans.length,
  files: ({ entry, key }) => {
    const done = entry.byteProgress().fileDone;
    return entry.spans.map((s) => ({
      [key('bytes_completed')]: done[s.index] ?? 0,
      [key('length')]: s.length,
      [key('name')]: s.path.join('/'),
      [key('begin_piece')]: s.firstPiece,
      [key('end_piece')]: s.endPiece,
    }));
  },
  file_stats: ({ entry, key, style }) => {
    const done = entry.byteProgress().fileDone;
    return entry.spans.map((s) => ({
      [key('bytes_completed')]: done[s.index] ?? 0,
      [key('wanted')]: style === 'classic' ? entry.saved.wanted[s.index] !== false : entry.saved.wanted[s.index] !== false,
      [key('priority')]: entry.saved.priorities[s.index] ?? 0,
    }));
  },
  // The classic protocol's `wanted` is 0/1 (Transmission 4.0.2 restored that); JSON-RPC's is booleans.
  wanted: ({ entry, style }) => entry.spans.map((s) => (style === 'classic' ? (entry.saved.wanted[s.index] === false ? 0 : 1) : entry.saved.wanted[s.index] !== false)),
  priorities: ({ entry }) => entry.spans.map((s) => entry.saved.priorities[s.index] ?? 0),
  primary_mime_type: () => 'application/octet-stream',
  torrent_file: () => '',
  trackers: ({ entry, key }) =>
    trackerList(entry).map((t) => ({ [key('announce')]: t.announce, [key('id')]: t.id, [key('scrape')]: scrapeUrl(t.announce), [key('sitename')]: siteName(t.announce), [key('tier')]: t.tier })),
  tracker_list: ({ entry }) => (entry.meta?.announce ?? []).map((tier) => tier.join('\n')).join('\n\n'),
  tracker_stats: ({ entry, key }) =>
    trackerList(entry).map((t) => {
      const r = entry.trackers.get(t.announce);
      const out: Record<string, unknown> = {
        announce: t.announce,
        // tr_tracker_state: 0 inactive, 1 waiting, 2 queued, 3 active
        announce_state: !entry.running ? 0 : r?.announcing ? 3 : 1,
        download_count: -1,
        downloader_count: -1,
        has_announced: (r?.lastAnnounceTime ?? 0) > 0,
        has_scraped: false,
        host: (() => { try { return new URL(t.announce).origin; } catch { return t.announce; } })(),
        id: t.id,
        is_backup: false,
        last_announce_peer_count: r?.lastAnnouncePeerCount ?? 0,
        last_announce_result: r?.lastAnnounceResult ?? '',
        last_announce_start_time: r?.lastAnnounceStartTime ?? 0,
        last_announce_succeeded: r?.lastAnnounceSucceeded ?? false,
        last_announce_time: r?.lastAnnounceTime ?? 0,
        last_announce_timed_out: /time/i.test(r?.lastAnnounceResult ?? '') && !(r?.lastAnnounceSucceeded ?? true),
        last_scrape_result: '',
        last_scrape_start_time: 0,
        last_scrape_succeeded: false,
        last_scrape_time: 0,
        last_scrape_timed_out: false,
        leecher_count: r?.leecherCount ?? -1,
        next_announce_time: entry.running ? (r?.nextAnnounceTime ?? 0) : 0,
        next_scrape_time: 0,
        scrape: scrapeUrl(t.announce),
        scrape_state: 0,
        seeder_count: r?.seederCount ?? -1,
        sitename: siteName(t.announce),
        tier: t.tier,
      };
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [key(k), v]));
    }),
  download_limit: ({ entry }) => entry.saved.download_limit,
  download_limited: ({ entry }) => entry.saved.download_limited,
  upload_limit: ({ entry }) => entry.saved.upload_limit,
  upload_limited: ({ entry }) => entry.saved.upload_limited,
  honors_session_limits: ({ entry }) => entry.saved.honors_session_limits,
  bandwidth_priority: ({ entry }) => entry.saved.bandwidth_priority,
  peer_limit: ({ entry }) => entry.saved.peer_limit,
  max_connected_peers: ({ entry }) => entry.saved.peer_limit,
  seed_ratio_limit: ({ entry }) => entry.saved.seed_ratio_limit,
  seed_ratio_mode: ({ entry }) => entry.saved.seed_ratio_mode,
  seed_idle_limit: ({ entry }) => entry.saved.seed_idle_limit,
  seed_idle_mode: ({ entry }) => entry.saved.seed_idle_mode,
  sequential_download: () => false,
  sequential_download_from_piece: () => 0,
  webseeds_ex: () => [],
};

export function isTorrentField(snake: string): boolean {
  return Object.hasOwn(fields, snake);
}

/** One torrent as the fields ask, keyed by the names they were asked with (`out`). */
export function torrentObject(requested: readonly { snake: string; out: string }[], context: Omit<FieldContext, 'key'>): Record<string, unknown> {
  const key = context.style === 'classic' ? legacyName : (snake: string) => snake;
  const full: FieldContext = { ...context, key };
  const out: Record<string, unknown> = {};
  for (const { snake, out: name } of requested) out[name] = fields[snake]!(full);
  return out;
}
