import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SessionSettings } from './settings.js';

/**
 * The daemon's state folder (`--data`):
 *
 *   daemon.json             session settings and every torrent's settings and counters
 *   torrents/<hash>.torrent the metainfo as added (or as fetched for a magnet)
 *   resume/<hash>.resume    verified pieces with each file's size and mtime (src/storage/resume.ts)
 *
 * Every file is written to a temporary name, flushed to disk, then renamed over the old one, so a
 * crash (SIGKILL, power loss) leaves either the old or the new version, never a torn one.
 */
export const STATE_VERSION = 1;

/** One torrent as saved: what the user chose and what has happened to it. */
export interface SavedTorrent {
  hash: string;
  /** A magnet link whose metadata has not arrived yet (no .torrent saved). */
  magnet?: string;
  name: string;
  download_dir: string;
  /** The user's intent: a stopped torrent stays stopped across restarts. */
  stopped: boolean;
  queue_position: number;
  added_date: number;
  done_date: number;
  activity_date: number;
  labels: string[];
  /** Per file, in torrent order (empty until the metadata is known). */
  wanted: boolean[];
  priorities: number[];
  /** kB/s, as Transmission's `download_limit` / `upload_limit`. */
  download_limit: number;
  download_limited: boolean;
  upload_limit: number;
  upload_limited: boolean;
  honors_session_limits: boolean;
  peer_limit: number;
  bandwidth_priority: number;
  /** 0: the session's setting, 1: this torrent's, 2: unlimited (Transmission's tr_ratiolimit / tr_idlelimit). */
  seed_ratio_mode: number;
  seed_ratio_limit: number;
  seed_idle_mode: number;
  seed_idle_limit: number;
  uploaded_ever: number;
  downloaded_ever: number;
  corrupt_ever: number;
  seconds_downloading: number;
  seconds_seeding: number;
  /** After torrent_rename_path: every file's path (metainfo order) and the torrent's name as renamed. */
  renamed?: { name: string; paths: string[][] };
}

export interface SavedState {
  version: number;
  settings: SessionSettings;
  torrents: SavedTorrent[];
}

export class StateStore {
  private writing: Promise<void> = Promise.resolve();
  private sequence = 0;

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(path.join(this.dir, 'torrents'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(this.dir, 'resume'), { recursive: true, mode: 0o700 });
  }

  /** The saved state, or undefined when the folder is new; a damaged file is an error (never silently reset). */
  async load(): Promise<SavedState | undefined> {
    let text: string;
    try {
      text = await readFile(this.stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const state = JSON.parse(text) as SavedState;
    if (state.version !== STATE_VERSION || !Array.isArray(state.torrents) || typeof state.settings !== 'object') {
      throw new Error(`${this.stateFile}: not a state file of this version`);
    }
    return state;
  }

  /** Saves the state; saves are serialised, so the last one called is the one on disk. */
  save(state: SavedState): Promise<void> {
    const bytes = Buffer.from(`${JSON.stringify(state, null, 1)}\n`);
    this.writing = this.writing.catch(() => undefined).then(() => this.writeAtomically(this.stateFile, bytes));
    return this.writing;
  }

  torrentFile(hash: string): string {
    return path.join(this.dir, 'torrents', `${hash}.torrent`);
  }

  resumeFile(hash: string): string {
    return path.join(this.dir, 'resume', `${hash}.resume`);
  }

  saveTorrentFile(hash: string, bytes: Buffer): Promise<void> {
    return this.writeAtomically(this.torrentFile(hash), bytes);
  }

  readTorrentFile(hash: string): Promise<Buffer> {
    return readFile(this.torrentFile(hash));
  }

  async forget(hash: string): Promise<void> {
    await rm(this.torrentFile(hash), { force: true });
    await rm(this.resumeFile(hash), { force: true });
  }

  private get stateFile(): string {
    return path.join(this.dir, 'daemon.json');
  }

  private async writeAtomically(file: string, bytes: Buffer): Promise<void> {
    const temporary = `${file}.${process.pid}.${this.sequence++}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  }
}
