import path from 'node:path';
import { defaultDataDir, defaultDownloadDir } from '../../daemon/allowed-paths.js';
import { startDaemon } from '../../daemon/run-daemon.js';
import { messageOf } from '../../util/message-of.js';
import { VERSION } from '../../version.js';
import { CliError } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { bootstrapNodes, parseBootstrap } from '../dht-options.js';
import { parseBind, parsePort } from '../network-options.js';
import { UsageError } from '../units.js';

/** `actorrent daemon`: options as commander hands them over. */
export interface DaemonCommandOptions {
  data?: string;
  downloadDir?: string;
  port: string;
  bind?: string;
  rpcPort: string;
  rpcBind: string;
  rpcAuth?: string;
  rpcHost?: string[];
  watch?: string;
  /** `--no-dht` gives false. */
  dht?: boolean;
  dhtBootstrap?: string[];
}

export async function runDaemon(options: DaemonCommandOptions): Promise<void> {
  if (options.rpcAuth !== undefined && !/^[^:]+:.+$/.test(options.rpcAuth)) throw new UsageError('--rpc-auth takes USER:PASSWORD');
  const running = await startDaemon({
    dataDir: path.resolve(options.data ?? defaultDataDir()),
    downloadDir: path.resolve(options.downloadDir ?? defaultDownloadDir()),
    peerPort: parsePort(options.port),
    peerHost: options.bind === undefined ? undefined : parseBind(options.bind),
    dht: options.dht === false ? undefined : { bootstrap: bootstrapNodes((options.dhtBootstrap ?? []).map(parseBootstrap), options.bind) },
    rpcPort: parsePort(options.rpcPort),
    rpcBind: parseBind(options.rpcBind),
    rpcAuth: options.rpcAuth,
    allowedHosts: options.rpcHost,
    watchDir: options.watch === undefined ? undefined : path.resolve(options.watch),
    version: `${VERSION} (actorrent)`,
  }).catch((err: unknown) => {
    throw new CliError(`cannot start the daemon: ${messageOf(err)}`);
  });
  // Before the line below: whoever reads it may signal us at once.
  const interrupts = onInterrupt(() => running.close(), 20_000);
  const { http, daemon } = running;
  const host = http.address.includes(':') ? `[${http.address}]` : http.address;
  process.stderr.write(
    `actorrent daemon: peers on port ${daemon.peerPort}; RPC at http://${host}:${http.port}/transmission/rpc, web UI at http://${host}:${http.port}/transmission/web/, metrics at /metrics; state in ${daemon.options.dataDir}\n`,
  );
  await running.closed;
  interrupts.remove();
}
