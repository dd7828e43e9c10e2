import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Magnet } from '../protocol/magnet.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import type { Session } from '../session.js';
import { messageOf } from '../util/message-of.js';
import { CliError } from './errors.js';
import type { Reporter } from './report/reporter.js';

export interface MagnetFetchOptions {
  /** `--peer`, dialled with the magnet's `x.pe`. */
  peers: { host: string; port: number }[];
  /** `--tracker`, announced to with the magnet's `tr`. */
  trackers: string[];
  /** `--save-torrent FILE`. */
  saveTorrent?: string;
}

/**
 * `download` / `seed` of a magnet link: fetch the info dictionary from peers (progress reported
 * until it verifies), write it as a .torrent when asked, and hand back the peers to dial.
 */
export async function fetchMagnet(
  session: Session,
  magnet: Magnet,
  options: MagnetFetchOptions,
  reporter: Reporter,
): Promise<{ meta: Metainfo; peers: { host: string; port: number }[] }> {
  reporter.fetchingMetadata({ infoHash: magnet.infoHashHex, name: magnet.name, port: session.port });
  const fetch = session.fetchMetadata(magnet.infoHash, {
    trackers: [...magnet.trackers, ...options.trackers.filter((url) => !magnet.trackers.includes(url))],
    peers: [...magnet.peers, ...options.peers],
  });
  const events = fetch.events$.subscribe((event) => reporter.metadataEvent(event));
  const ticker = setInterval(() => reporter.metadataProgress(fetch.progress()), reporter.progressIntervalMs);
  try {
    const fetched = await fetch.whenFetched();
    if (options.saveTorrent) {
      await writeAtomically(options.saveTorrent, fetched.torrentFile);
      reporter.torrentSaved(options.saveTorrent);
    }
    return { meta: fetched.meta, peers: fetched.peers };
  } finally {
    clearInterval(ticker);
    events.unsubscribe();
  }
}

/** A partly written .torrent must never be left under the name asked for. */
async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.part`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (err) {
    throw new CliError(`cannot save the torrent to ${file}: ${messageOf(err)}`);
  }
}
