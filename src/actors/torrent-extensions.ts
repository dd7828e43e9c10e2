import type { DownloadEngine } from '../engine/download-engine.js';
import { metadataServer } from '../engine/metadata-server.js';
import { ExtensionHub } from '../engine/peer-extensions.js';
import { isPexExtension, pexExtension } from '../engine/pex-extension.js';
import { DEFAULT_MAX_QUEUED_REQUESTS } from '../engine/upload-engine.js';
import type { Clock } from '../env/clock.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { VERSION } from '../version.js';
import type { PexInput } from './pex.js';

/**
 * The BEP 10 extensions a torrent's connections speak: ut_metadata (serving our info dictionary)
 * and ut_pex (BEP 11), except for private torrents (BEP 27: peers come from the tracker only) or
 * when `pex` is false.
 */
export function createTorrentExtensions(input: { meta: Metainfo; listenPort: number; pex?: boolean }): ExtensionHub {
  const pex = input.pex !== false && !input.meta.private;
  return new ExtensionHub({
    client: `actorrent ${VERSION}`,
    listenPort: () => input.listenPort,
    requestQueue: DEFAULT_MAX_QUEUED_REQUESTS,
    extensions: [metadataServer(input.meta.infoBytes), ...(pex ? [pexExtension()] : [])],
  });
}

/** The Pex actor's input for a torrent: its hub's ut_pex extension (if any) and what it knows of each peer. */
export function pexInput(torrent: { extensions: ExtensionHub; download: DownloadEngine; clock: Clock; listenPort: number }): PexInput {
  const { extensions, download } = torrent;
  return {
    clock: torrent.clock,
    extension: extensions.extensions.find(isPexExtension),
    listenPort: torrent.listenPort,
    weAreSeed: () => download.hasAll(),
    traitsOf: (key) => {
      const remote = extensions.remote(key);
      return {
        listenPort: remote?.listenPort,
        preferEncryption: remote?.preferEncryption,
        uploadOnly: remote?.uploadOnly,
        holepunch: remote?.m.has('ut_holepunch'),
        seed: download.peerIsSeed(key),
      };
    },
  };
}
