/**
 * The systemIds of singleton actors. A session's Server is registered as `server` in its actor
 * system; each Torrent is the root of its own actor system, in which its FileManager, Downloader,
 * Uploader, Client and TrackerClient are registered under these names. So a singleton has the same
 * name in every torrent wherever actor refs are seen (inspection events carry `actorRef.systemId`),
 * and XState refuses a second actor with the same systemId in one system. Nothing looks actors up
 * with `system.get` today: the Torrent addresses its children by their child ids
 * (`sendTo('downloader', …)`) and they answer with `sendParent`.
 */
export const SYSTEM_IDS = {
  server: 'server',
  files: 'file-manager',
  downloader: 'downloader',
  uploader: 'uploader',
  client: 'client',
  tracker: 'tracker-client',
} as const;
