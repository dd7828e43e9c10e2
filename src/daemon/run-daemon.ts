import { Daemon } from './daemon.js';
import { DaemonHttpServer } from './http-server.js';
import { DaemonMetrics } from './metrics.js';
import { rpcDispatcher } from './rpc/methods.js';
import { WatchFolder } from './watch-folder.js';
import { WebUi } from './web/web-ui.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import type { SessionDhtOptions } from '../session-dht.js';

/**
 * `actorrent daemon`: the Daemon with its HTTP port (RPC, web UI, metrics) and watch folder,
 * started and stopped together.
 */
export interface DaemonRunOptions {
  dataDir: string;
  downloadDir: string;
  peerPort: number;
  peerHost?: string;
  /** The Mainline DHT's bootstrap nodes; undefined: no DHT. */
  dht?: SessionDhtOptions;
  rpcPort: number;
  /** Default 127.0.0.1: the RPC and the web UI are reachable from this machine only unless told otherwise. */
  rpcBind: string;
  rpcAuth?: string;
  allowedHosts?: string[];
  watchDir?: string;
  version: string;
  trackerTransport?: TrackerTransport;
  log?: (line: string) => void;
}

export interface RunningDaemon {
  daemon: Daemon;
  http: DaemonHttpServer;
  /** Resolves once a `session_close` or `close()` has stopped everything. */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startDaemon(options: DaemonRunOptions): Promise<RunningDaemon> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const web = new WebUi();
  const daemon = new Daemon({
    dataDir: options.dataDir,
    downloadDir: options.downloadDir,
    peerPort: options.peerPort,
    peerHost: options.peerHost,
    dht: options.dht,
    trackerTransport: options.trackerTransport,
    inspect: (label, event) => web.inspect(label, event),
  });
  await daemon.start();
  web.attach(daemon);
  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let http: DaemonHttpServer | undefined;
  let watch: WatchFolder | undefined;
  const close = () => {
    closing ??= (async () => {
      watch?.stop();
      await http?.close();
      await web.close();
      await daemon.close();
      markClosed();
    })();
    return closing;
  };
  try {
    http = await DaemonHttpServer.start({
      host: options.rpcBind,
      port: options.rpcPort,
      auth: options.rpcAuth,
      allowedHosts: options.allowedHosts,
      metrics: new DaemonMetrics(daemon),
      web,
      dispatch: rpcDispatcher({ daemon, sessionId: () => http!.currentSessionId(), version: options.version, requestClose: () => void close() }),
    });
  } catch (err) {
    await close();
    throw err;
  }
  if (options.watchDir) {
    watch = new WatchFolder({
      dir: options.watchDir,
      add: async (bytes) => void (await daemon.add({ metainfo: bytes })),
      onError: (message) => log(`watch folder: ${message}`),
    });
    watch.start();
  }
  return { daemon, http, closed, close };
}
