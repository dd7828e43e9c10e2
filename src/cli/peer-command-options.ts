import { parseBind, parsePeer, parsePort } from './network-options.js';
import type { ObserveOptions } from './observers.js';
import type { RunTorrentOptions } from './run-torrent.js';
import { UsageError, parseSize } from './units.js';
import { parseBootstrap } from './dht-options.js';
import { ENCRYPTION_MODES, type EncryptionMode } from '../policy/encryption.js';
import { type TransportOrder, parseTransportOrder } from '../policy/transport-order.js';

/** The options `download` and `seed` share, as commander hands them over (strings). */
export interface PeerCommandOptions {
  output?: string;
  port: string;
  bind?: string;
  peer?: string[];
  json?: boolean;
  tracker?: string[];
  saveTorrent?: string;
  maxPeers?: string;
  uploadLimit?: string;
  downloadLimit?: string;
  quiet?: boolean;
  verbose?: boolean;
  trace?: string;
  inspect?: boolean;
  ui?: string | boolean;
  /** `--lsd` / `--no-lsd` (commander gives false for `--no-lsd`; undefined means on). */
  lsd?: boolean;
  /** `--no-pex` gives false. */
  pex?: boolean;
  /** `--encryption prefer | require | disable`. */
  encryption?: string;
  /** `--transport utp,tcp | tcp,utp | tcp | utp`. */
  transport?: string;
  /** `--no-dht` gives false. */
  dht?: boolean;
  dhtPort?: string;
  dhtBootstrap?: string[];
}

/** Checks and converts the shared options; every mistake is a UsageError (exit 2). */
export function parsePeerCommandOptions(options: PeerCommandOptions): Omit<RunTorrentOptions, 'mode' | 'torrentFile' | 'keepSeeding'> {
  return {
    outputDir: options.output ?? '.',
    port: parsePort(options.port),
    bind: options.bind === undefined ? undefined : parseBind(options.bind),
    peers: (options.peer ?? []).map(parsePeer),
    json: options.json === true,
    trackers: (options.tracker ?? []).map(parseTrackerUrl),
    saveTorrent: parseSaveTorrent(options.saveTorrent),
    maxPeers: options.maxPeers === undefined ? undefined : parseMaxPeers(options.maxPeers),
    uploadLimit: parseRate(options.uploadLimit, '--upload-limit'),
    downloadLimit: parseRate(options.downloadLimit, '--download-limit'),
    quiet: options.quiet === true,
    verbose: options.verbose === true,
    observe: parseObserveOptions(options),
    lsd: options.lsd !== false,
    pex: options.pex !== false,
    encryption: parseEncryption(options.encryption),
    transport: parseTransport(options.transport),
    dht: options.dht !== false,
    dhtPort: options.dhtPort === undefined ? undefined : parsePort(options.dhtPort),
    dhtBootstrap: (options.dhtBootstrap ?? []).map(parseBootstrap),
  };
}

/** `--encryption`: default prefer (dial with MSE, fall back to plaintext; accept both). */
function parseEncryption(text: string | undefined): EncryptionMode {
  if (text === undefined) return 'prefer';
  const mode = ENCRYPTION_MODES.find((m) => m === text.trim().toLowerCase());
  if (!mode) throw new UsageError(`invalid --encryption ${JSON.stringify(text)}: use prefer, require or disable`);
  return mode;
}

/** `--transport`: default tcp (uTP only when asked, until dialling uTP-less peers first costs no fallback wait). */
function parseTransport(text: string | undefined): TransportOrder {
  if (text === undefined) return ['tcp'];
  const order = parseTransportOrder(text);
  if (!order) throw new UsageError(`invalid --transport ${JSON.stringify(text)}: use utp,tcp, tcp,utp, tcp or utp`);
  return order;
}

/** `--trace FILE`, `--inspect`, `--ui [PORT]` (shared with `tracker` and `demo`). */
export function parseObserveOptions(options: { trace?: string; inspect?: boolean; ui?: string | boolean }): ObserveOptions {
  if (options.trace !== undefined && options.trace.trim() === '') throw new UsageError('--trace needs a file name');
  return {
    trace: options.trace,
    inspect: options.inspect === true,
    ui: options.ui === undefined || options.ui === false ? undefined : options.ui === true ? 0 : parsePort(options.ui),
  };
}

export function parseTrackerUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:', 'udp:'].includes(url.protocol)) {
    throw new UsageError(`invalid --tracker ${JSON.stringify(text)}: use an http://, https:// or udp:// announce URL`);
  }
  return text;
}

function parseSaveTorrent(text: string | undefined): string | undefined {
  if (text !== undefined && text.trim() === '') throw new UsageError('--save-torrent needs a file name');
  return text;
}

function parseMaxPeers(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || Number(text) > 10_000) {
    throw new UsageError(`invalid --max-peers ${JSON.stringify(text)}: use a number from 1 to 10000`);
  }
  return Number(text);
}

/** A rate in bytes/s with the size suffixes (`--upload-limit 512k`); 0 means unlimited. */
function parseRate(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = parseSize(text.replace(/\/s$/i, ''), what);
  return value === 0 ? undefined : value;
}
