/**
 * The systemIds of singleton actors. A session's Server is one per session; each Torrent is the root
 * of its own actor system, in which its FileManager, Downloader, Uploader, Client and TrackerClient
 * are singletons, so `system.get(SYSTEM_IDS.downloader)` finds them from any actor of that torrent.
 */
export const SYSTEM_IDS = {
  server: 'server',
  files: 'file-manager',
  downloader: 'downloader',
  uploader: 'uploader',
  client: 'client',
  tracker: 'tracker-client',
} as const;
