import type { ServerCounts } from '../../actors/server.js';
import type { MetadataFetchEmitted } from '../../actors/metadata-fetch.js';
import type { MetadataFetchProgress, TorrentProgress, TorrentSessionEvent } from '../../session.js';

/**
 * What a long-running command (download, seed) tells its user. The runner calls these; one
 * implementation writes NDJSON (json.ts), the other plain lines for people (text.ts).
 */
export interface Reporter {
  /** How often the runner samples progress(), in ms. */
  readonly progressIntervalMs: number;
  /** Seed only: hashing the data at `dataPath` before seeding it. */
  checking(dataPath: string): void;
  /** Whether saved resume data is used (no hash check of those pieces) and, if not, why. */
  resume(info: ResumeInfo): void;
  /** Something went wrong that does not stop the command. */
  warning(message: string): void;
  /** A magnet link: listening, fetching the info dictionary from peers before anything else. */
  fetchingMetadata(info: { infoHash: string; name?: string; port: number }): void;
  metadataProgress(progress: MetadataFetchProgress): void;
  /** Peers of the metadata fetch (verbose), peers dropped for bad metadata, the metadata verified. */
  metadataEvent(event: MetadataFetchEmitted): void;
  /** `--save-torrent`: the fetched metadata written as a .torrent. */
  torrentSaved(file: string): void;
  /** Listening, with the torrent added: peers can connect from now on. */
  started(info: StartedInfo): void;
  event(event: TorrentSessionEvent): void;
  /** An incoming connection refused or evicted before its handshake (the runner throttles these). */
  connection(event: { type: 'rejected' | 'evicted'; address: string; reason: string }): void;
  /** `incoming`: the listening server's counts so far. */
  progress(progress: TorrentProgress, incoming?: ServerCounts): void;
  complete(stats: TransferStats & { seconds: number }): void;
  /** Complete, and staying up to seed until interrupted. */
  seeding(): void;
  stopped(info: TransferStats & { signal: string }): void;
  /** A fatal error; main.ts also prints it to stderr. */
  error(message: string): void;
}

export interface StartedInfo {
  mode: 'download' | 'seed';
  port: number;
  name: string;
  length: number;
  pieces: number;
  /** `DIR/<name>`. */
  dataPath: string;
  /** `--select`: the files fetched (paths inside the torrent); undefined = all. */
  selected?: string[];
}

export type ResumeInfo = { resumed: true } | { resumed: false; reason: string };

export interface TransferStats {
  downloaded: number;
  uploaded: number;
}
