/**
 * The systemIds of singleton actors. A session's Server is registered as `server` in its actor
 * system; each Torrent is the root of its own actor system, in which its FileManager (and its
 * verifier), Downloader, Uploader, Client and TrackerClient are registered under these names. So a
 * singleton has the same name in every torrent wherever actor refs are seen (inspection events carry
 * `actorRef.systemId`), and XState refuses a second actor with the same systemId in one system. The
 * Torrent addresses its children by their child ids (`sendTo('downloader', …)`) and they answer with
 * `sendParent`. Three paths look one up with `system.get`, each to skip hops that decide nothing: the
 * Pex actor (the Client, whose dial book takes what PEX learns), complete pieces (the verifier) and
 * their verdicts (the Downloader), the last two once per piece.
 */
export const SYSTEM_IDS = {
  server: 'server',
  files: 'file-manager',
  /** The FileManager's verifier, while it is ready: complete pieces go to it (STORE, VERIFY). */
  verifier: 'piece-verifier',
  downloader: 'downloader',
  uploader: 'uploader',
  client: 'client',
  tracker: 'tracker-client',
  /** A torrent's peer exchange (BEP 11). */
  pex: 'pex',
  /** A session's Local Service Discovery, the root of its own system like the server. */
  lsd: 'lsd',
  /** A session's (or `actorrent dht`'s) Mainline DHT node, the root of its own system. */
  dht: 'dht',
} as const;
