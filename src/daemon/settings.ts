import type { EncryptionMode } from '../policy/encryption.js';

/**
 * The daemon's session settings, as Transmission names them (snake_case, RPC 6.0): what
 * `session_get` reports and `session_set` changes, saved in the state folder. Speeds are kB/s
 * (1000 bytes, as Transmission counts them); 0 with `…_enabled` false means no limit.
 */
export interface SessionSettings {
  download_dir: string;
  peer_port: number;
  speed_limit_down: number;
  speed_limit_down_enabled: boolean;
  speed_limit_up: number;
  speed_limit_up_enabled: boolean;
  alt_speed_down: number;
  alt_speed_up: number;
  alt_speed_enabled: boolean;
  download_queue_enabled: boolean;
  download_queue_size: number;
  seed_queue_enabled: boolean;
  seed_queue_size: number;
  seed_ratio_limit: number;
  seed_ratio_limited: boolean;
  idle_seeding_limit: number;
  idle_seeding_limit_enabled: boolean;
  /** Transmission's names: required, preferred, allowed (no MSE is not offered by Transmission either). */
  encryption: 'required' | 'preferred' | 'allowed';
  pex_enabled: boolean;
  lpd_enabled: boolean;
  /** With `--no-dht` the daemon has no DHT whatever this says; a change applies at the next start. */
  dht_enabled: boolean;
  peer_limit_per_torrent: number;
  peer_limit_global: number;
  start_added_torrents: boolean;
}

export const SPEED_UNIT_BYTES = 1000;

export function defaultSettings(downloadDir: string, peerPort: number): SessionSettings {
  return {
    download_dir: downloadDir,
    peer_port: peerPort,
    speed_limit_down: 100,
    speed_limit_down_enabled: false,
    speed_limit_up: 100,
    speed_limit_up_enabled: false,
    alt_speed_down: 50,
    alt_speed_up: 50,
    alt_speed_enabled: false,
    download_queue_enabled: true,
    download_queue_size: 5,
    seed_queue_enabled: false,
    seed_queue_size: 10,
    seed_ratio_limit: 2,
    seed_ratio_limited: false,
    idle_seeding_limit: 30,
    idle_seeding_limit_enabled: false,
    encryption: 'preferred',
    pex_enabled: true,
    lpd_enabled: false,
    dht_enabled: true,
    peer_limit_per_torrent: 50,
    peer_limit_global: 200,
    start_added_torrents: true,
  };
}

/** Transmission's `encryption` setting as our MSE mode: `allowed` accepts both and dials plaintext. */
export function encryptionMode(setting: SessionSettings['encryption']): EncryptionMode {
  return setting === 'required' ? 'require' : 'prefer';
}

/** The global limits in bytes per second, undefined when off; alt speeds replace them while enabled. */
export function globalRates(settings: SessionSettings): { down?: number; up?: number } {
  if (settings.alt_speed_enabled) return { down: settings.alt_speed_down * SPEED_UNIT_BYTES, up: settings.alt_speed_up * SPEED_UNIT_BYTES };
  return {
    down: settings.speed_limit_down_enabled ? settings.speed_limit_down * SPEED_UNIT_BYTES : undefined,
    up: settings.speed_limit_up_enabled ? settings.speed_limit_up * SPEED_UNIT_BYTES : undefined,
  };
}
