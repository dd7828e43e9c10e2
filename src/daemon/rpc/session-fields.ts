import type { SessionSettings } from '../settings.js';
import type { RpcStyle } from './protocol.js';

/** What `session_get` reports: the settings, and the fixed answers for what we do not have (DHT, uTP, blocklists, scripts). */
export const RPC_VERSION = 18;
export const RPC_VERSION_MINIMUM = 14;
export const RPC_VERSION_SEMVER = '6.0.0';

export interface SessionFacts {
  settings: SessionSettings;
  sessionId: string;
  configDir: string;
  version: string;
  style: RpcStyle;
}

export function sessionValues(facts: SessionFacts): Record<string, unknown> {
  const s = facts.settings;
  return {
    ...s,
    // Transmission 4.1 renamed `tolerated` to `allowed`; the classic form keeps the old word.
    encryption: facts.style === 'classic' && s.encryption === 'allowed' ? 'tolerated' : s.encryption,
    alt_speed_time_begin: 540,
    alt_speed_time_day: 127,
    alt_speed_time_enabled: false,
    alt_speed_time_end: 1020,
    anti_brute_force_enabled: false,
    anti_brute_force_threshold: 100,
    blocklist_enabled: false,
    blocklist_size: 0,
    blocklist_url: '',
    cache_size_mib: 4,
    config_dir: facts.configDir,
    default_trackers: '',
    incomplete_dir: s.download_dir,
    incomplete_dir_enabled: false,
    peer_port_random_on_start: false,
    port_forwarding_enabled: false,
    preferred_transports: ['tcp'],
    queue_stalled_enabled: false,
    queue_stalled_minutes: 30,
    rename_partial_files: false,
    reqq: 500,
    rpc_version: RPC_VERSION,
    rpc_version_minimum: RPC_VERSION_MINIMUM,
    rpc_version_semver: RPC_VERSION_SEMVER,
    script_torrent_added_enabled: false,
    script_torrent_added_filename: '',
    script_torrent_done_enabled: false,
    script_torrent_done_filename: '',
    script_torrent_done_seeding_enabled: false,
    script_torrent_done_seeding_filename: '',
    sequential_download: false,
    session_id: facts.sessionId,
    tcp_enabled: true,
    trash_original_torrent_files: false,
    units: {
      speed_units: ['kB/s', 'MB/s', 'GB/s', 'TB/s'],
      speed_bytes: 1000,
      size_units: ['kB', 'MB', 'GB', 'TB'],
      size_bytes: 1000,
      memory_units: ['KiB', 'MiB', 'GiB', 'TiB'],
      memory_bytes: 1024,
    },
    utp_enabled: false,
    version: facts.version,
  };
}

type Check = (value: unknown) => boolean;
const isBool: Check = (v) => typeof v === 'boolean';
const isCount: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The settings `session_set` may change here, with the type each takes (others are accepted and ignored, as Transmission ignores unknown keys). */
export const SETTABLE: Partial<Record<keyof SessionSettings, Check>> = {
  speed_limit_down: isCount,
  speed_limit_down_enabled: isBool,
  speed_limit_up: isCount,
  speed_limit_up_enabled: isBool,
  alt_speed_down: isCount,
  alt_speed_up: isCount,
  alt_speed_enabled: isBool,
  download_queue_enabled: isBool,
  download_queue_size: isCount,
  seed_queue_enabled: isBool,
  seed_queue_size: isCount,
  seed_ratio_limit: isNumber,
  seed_ratio_limited: isBool,
  idle_seeding_limit: isCount,
  idle_seeding_limit_enabled: isBool,
  pex_enabled: isBool,
  lpd_enabled: isBool,
  dht_enabled: isBool,
  peer_limit_per_torrent: isCount,
  peer_limit_global: isCount,
  start_added_torrents: isBool,
  // peer_port is not here: the port is `--port`, the Session listens on it from the start.
};
