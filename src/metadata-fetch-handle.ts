import { Observable } from 'rxjs';
import { waitFor } from 'xstate';
import { type MetadataFetchActor, type MetadataFetchEmitted, metadataFetchProgress } from './actors/metadata-fetch.js';
import { type Metainfo, parseTorrent, torrentFromInfo } from './protocol/metainfo/index.js';
import type { Handshake } from './protocol/wire/index.js';
import type { PeerSocket } from './env/transport.js';

export interface FetchedMetadata {
  meta: Metainfo;
  /** A .torrent with the same infohash (the info dictionary as fetched, plus the trackers). */
  torrentFile: Buffer;
  /** Peers to dial for the download: the ones that were connected, then the other candidates. */
  peers: { host: string; port: number }[];
}

export type MetadataFetchProgress = ReturnType<typeof metadataFetchProgress>;

/**
 * A magnet link's metadata being fetched from peers (BEP 9). `whenFetched` gives the Metainfo to
 * start the download with; `stop` gives up. The Session routes incoming connections for the
 * infohash here until it is done.
 */
export class MetadataFetchHandle {
  readonly events$: Observable<MetadataFetchEmitted>;
  private stopping?: Promise<void>;

  constructor(
    readonly infoHashHex: string,
    private readonly actor: MetadataFetchActor,
    private readonly trackers: string[][],
    private readonly onDone: () => void,
  ) {
    this.events$ = new Observable<MetadataFetchEmitted>((subscriber) => {
      const events = actor.on('*', (event) => subscriber.next(event as MetadataFetchEmitted));
      return () => events.unsubscribe();
    });
    actor.subscribe({ complete: () => this.onDone(), error: () => this.onDone() });
  }

  progress(): MetadataFetchProgress {
    return metadataFetchProgress(this.actor);
  }

  addPeers(peers: { host: string; port: number }[], source = 'manual'): void {
    this.actor.send({ type: 'ADD_PEERS', peers, source });
  }

  /** An incoming connection for this infohash (its handshake already read by the server). */
  incoming(socket: PeerSocket, handshake: Handshake, rest: Buffer): void {
    this.actor.send({ type: 'PEER.CONNECTION', socket, direction: 'incoming', handshake, rest });
  }

  /** Resolves with the verified metadata; rejects if the fetch is stopped first. */
  async whenFetched(): Promise<FetchedMetadata> {
    const snapshot = await waitFor(this.actor, (s) => s.status !== 'active', { timeout: Infinity });
    const output = snapshot.output;
    if (!output) throw new Error('the metadata fetch was stopped before the metadata arrived');
    const torrentFile = torrentFromInfo(output.info, this.trackers);
    return { meta: parseTorrent(torrentFile), torrentFile, peers: output.peers };
  }

  /** Gives up: closes every connection and tells the trackers we stopped. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'STOP' });
      await waitFor(this.actor, (s) => s.status !== 'active', { timeout: 10_000 }).catch(() => undefined);
      this.actor.stop();
    })();
    return this.stopping;
  }
}
