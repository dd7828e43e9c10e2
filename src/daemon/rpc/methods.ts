import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { AddError, type AddRequest, type Daemon } from '../daemon.js';
import { PathRefused, checkNewName } from '../allowed-paths.js';
import type { SessionSettings } from '../settings.js';
import type { TorrentEntry } from '../torrent-entry.js';
import { type Dispatch, type RpcCall, RpcError, type RpcResult, RPC_ERROR } from './protocol.js';
import { legacyName, snakeName } from './names.js';
import { SETTABLE, sessionValues } from './session-fields.js';
import { isTorrentField, torrentObject } from './torrent-fields.js';

/**
 * The RPC methods over the daemon's operations. Arguments come validated or are refused with
 * Transmission's error; results are snake_case (the protocol layer spells them for the classic form).
 */
export interface MethodContext {
  daemon: Daemon;
  sessionId: () => string;
  version: string;
  /** `session_close`: shuts the daemon down once the answer is sent. */
  requestClose: () => void;
}

type Method = (call: RpcCall, context: MethodContext) => Promise<RpcResult>;

const MAX_TORRENT_DOWNLOAD_BYTES = 16 << 20;

export function rpcDispatcher(context: MethodContext): Dispatch {
  return (call) => {
    const method = METHODS[call.method];
    return method ? method(call, context) : undefined;
  };
}

/** `ids`: a number, a hash, `recently_active`, or a list of numbers and hashes; absent means every torrent. */
export function selectTorrents(daemon: Daemon, ids: unknown): TorrentEntry[] {
  if (ids === undefined) return daemon.list();
  if (ids === 'recently_active' || ids === 'recently-active') return daemon.recentlyActive().torrents;
  const list = Array.isArray(ids) ? ids : [ids];
  const out: TorrentEntry[] = [];
  for (const id of list) {
    const entry = typeof id === 'number' || typeof id === 'string' ? daemon.get(id) : undefined;
    if (entry && !out.includes(entry)) out.push(entry);
  }
  return out;
}

function indexList(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((i) => Number.isInteger(i))) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'file indices must be an array of integers');
  return value as number[];
}

function fileChoices(params: Record<string, unknown>, entry?: TorrentEntry): Pick<AddRequest, 'filesWanted' | 'filesUnwanted' | 'priorityHigh' | 'priorityLow' | 'priorityNormal'> {
  const choices = {
    filesWanted: indexList(params['files_wanted']),
    filesUnwanted: indexList(params['files_unwanted']),
    priorityHigh: indexList(params['priority_high']),
    priorityLow: indexList(params['priority_low']),
    priorityNormal: indexList(params['priority_normal']),
  };
  if (entry?.meta) {
    for (const list of Object.values(choices)) {
      if (list?.some((i) => i < 0 || i >= entry.spans.length)) throw new RpcError(RPC_ERROR.FILE_IDX_OOR, 'file index out of range');
    }
  }
  return choices;
}

function labelsOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((l) => typeof l === 'string')) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'labels must be an array of strings');
  const labels = (value as string[]).map((l) => l.trim());
  if (labels.some((l) => l === '')) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'labels cannot be empty');
  if (labels.some((l) => l.includes(','))) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'labels cannot contain comma (,) character');
  return [...new Set(labels)];
}

function pathError(err: unknown): never {
  if (err instanceof PathRefused) {
    throw new RpcError(/absolute/.test(err.message) ? RPC_ERROR.PATH_NOT_ABSOLUTE : RPC_ERROR.INVALID_PARAMS, err.message);
  }
  throw err;
}

async function torrentSource(params: Record<string, unknown>): Promise<Pick<AddRequest, 'metainfo' | 'magnet'>> {
  const metainfo = params['metainfo'];
  if (typeof metainfo === 'string' && metainfo.length > 0) return { metainfo: Buffer.from(metainfo, 'base64') };
  const filename = params['filename'];
  if (typeof filename !== 'string' || filename.length === 0) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'no filename or metainfo specified');
  if (/^magnet:/i.test(filename)) return { magnet: filename };
  if (/^[0-9a-f]{40}$/i.test(filename)) return { magnet: `magnet:?xt=urn:btih:${filename}` };
  if (/^https?:\/\//i.test(filename)) {
    const response = await fetch(filename, { signal: AbortSignal.timeout(30_000), redirect: 'follow' }).catch((err: unknown) => {
      throw new RpcError(RPC_ERROR.HTTP_ERROR, `cannot fetch ${filename}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (!response.ok) throw new RpcError(RPC_ERROR.HTTP_ERROR, `cannot fetch ${filename}: HTTP ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > MAX_TORRENT_DOWNLOAD_BYTES) throw new RpcError(RPC_ERROR.CORRUPT_TORRENT, 'invalid or corrupt torrent file');
    return { metainfo: body };
  }
  const bytes = await readFile(path.resolve(filename)).catch(() => {
    throw new RpcError(RPC_ERROR.CORRUPT_TORRENT, 'invalid or corrupt torrent file');
  });
  return { metainfo: bytes };
}

const torrentAdd: Method = async ({ params, style }, { daemon }) => {
  const source = await torrentSource(params);
  const request: AddRequest = {
    ...source,
    ...fileChoices(params),
    paused: typeof params['paused'] === 'boolean' ? params['paused'] : undefined,
    labels: labelsOf(params['labels']),
    peerLimit: typeof params['peer_limit'] === 'number' ? params['peer_limit'] : undefined,
    bandwidthPriority: typeof params['bandwidth_priority'] === 'number' ? params['bandwidth_priority'] : undefined,
  };
  if (params['download_dir'] !== undefined) request.downloadDir = params['download_dir'] as string;
  let added: Awaited<ReturnType<Daemon['add']>>;
  try {
    added = await daemon.add(request);
  } catch (err) {
    if (err instanceof AddError) throw new RpcError(err.message.startsWith('no filename') ? RPC_ERROR.INVALID_PARAMS : RPC_ERROR.CORRUPT_TORRENT, err.message);
    return pathError(err);
  }
  const k = style === 'classic' ? legacyName : (s: string) => s;
  const torrent = { [k('hash_string')]: added.entry.hash, id: added.entry.id, name: added.entry.saved.name };
  return { args: { [k(added.duplicate ? 'torrent_duplicate' : 'torrent_added')]: torrent }, styled: true };
};

const torrentGet: Method = async ({ params, style }, { daemon }) => {
  const asked = params['fields'];
  if (!Array.isArray(asked) || asked.length === 0) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'no fields specified');
  const requested: { snake: string; out: string }[] = [];
  for (const name of asked) {
    if (typeof name !== 'string') continue;
    const snake = style === 'classic' ? snakeName(name) : name;
    // Unknown fields are left out, as Transmission does.
    if (isTorrentField(snake) && !requested.some((r) => r.out === name)) requested.push({ snake, out: name });
  }
  const recent = params['ids'] === 'recently_active' || params['ids'] === 'recently-active';
  const entries = selectTorrents(daemon, params['ids']);
  const now = Math.floor(daemon.clock.now() / 1000);
  const objects = entries.map((entry) => torrentObject(requested, { entry, settings: daemon.settings, style, now }));
  const torrents = params['format'] === 'table' ? [requested.map((r) => r.out), ...objects.map((o) => requested.map((r) => o[r.out]))] : objects;
  const args: Record<string, unknown> = { torrents };
  if (recent) args['removed'] = daemon.recentlyActive().removed;
  return { args, styled: true };
};

const torrentSet: Method = async ({ params }, { daemon }) => {
  const entries = selectTorrents(daemon, params['ids']);
  for (const key of ['tracker_add', 'tracker_remove', 'tracker_replace', 'tracker_list']) {
    if (params[key] !== undefined) throw new RpcError(RPC_ERROR.INVALID_TRACKER_LIST, 'changing the trackers of a torrent is not supported');
  }
  const labels = labelsOf(params['labels']);
  const numberOf = (key: string): number | undefined => {
    const v = params[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RpcError(RPC_ERROR.INVALID_PARAMS, `${key} must be a number`);
    return v;
  };
  const boolOf = (key: string): boolean | undefined => {
    const v = params[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new RpcError(RPC_ERROR.INVALID_PARAMS, `${key} must be a boolean`);
    return v;
  };
  const plain = {
    download_limit: numberOf('download_limit'),
    download_limited: boolOf('download_limited'),
    upload_limit: numberOf('upload_limit'),
    upload_limited: boolOf('upload_limited'),
    honors_session_limits: boolOf('honors_session_limits'),
    peer_limit: numberOf('peer_limit'),
    bandwidth_priority: params['bandwidth_priority'] === undefined ? undefined : Math.max(-1, Math.min(1, Math.round(numberOf('bandwidth_priority') ?? 0))),
    seed_ratio_limit: numberOf('seed_ratio_limit'),
    seed_ratio_mode: numberOf('seed_ratio_mode'),
    seed_idle_limit: numberOf('seed_idle_limit'),
    seed_idle_mode: numberOf('seed_idle_mode'),
  };
  const queuePosition = numberOf('queue_position');
  const location = params['location'];
  for (const entry of entries) {
    const choices = fileChoices(params, entry);
    for (const [key, value] of Object.entries(plain)) if (value !== undefined) (entry.saved as unknown as Record<string, unknown>)[key] = value;
    if (labels) entry.saved.labels = labels;
    daemon.torrentChanged(entry);
    if (queuePosition !== undefined) daemon.setQueuePosition(entry, Math.floor(queuePosition));
    if (Object.values(choices).some((c) => c !== undefined)) daemon.setFiles(entry, choices);
    if (location !== undefined) await daemon.setLocation(entry, location as string, false).catch(pathError);
  }
  return { args: {} };
};

function withTorrents(action: (daemon: Daemon, entries: TorrentEntry[], params: Record<string, unknown>) => unknown): Method {
  return async ({ params }, { daemon }) => {
    await action(daemon, selectTorrents(daemon, params['ids']), params);
    return { args: {} };
  };
}

const torrentRenamePath: Method = async ({ params, style }, { daemon }) => {
  const entries = selectTorrents(daemon, params['ids']);
  const method = style === 'classic' ? 'torrent-rename-path' : 'torrent_rename_path';
  if (entries.length !== 1) throw new RpcError(RPC_ERROR.INVALID_PARAMS, `${method} requires 1 torrent`);
  const entry = entries[0]!;
  const from = params['path'];
  const name = (() => {
    try {
      return checkNewName(params['name']);
    } catch (err) {
      return pathError(err);
    }
  })();
  if (typeof from !== 'string' || from.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'invalid path');
  }
  if (!entry.meta) throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'the torrent has no metadata yet');
  try {
    await daemon.renamePath(entry, from.split('/'), name);
  } catch (err) {
    if (err instanceof PathRefused) throw new RpcError(RPC_ERROR.INVALID_PARAMS, err.message);
    throw new RpcError(RPC_ERROR.SYSTEM_ERROR, err instanceof Error ? err.message : String(err));
  }
  return { args: { path: from, name, id: entry.id } };
};

const sessionSet: Method = async ({ params }, { daemon }) => {
  const changes: Partial<SessionSettings> = {};
  for (const [key, check] of Object.entries(SETTABLE)) {
    const value = params[key];
    if (value === undefined) continue;
    if (!check!(value)) throw new RpcError(RPC_ERROR.INVALID_PARAMS, `${key} has the wrong type`);
    (changes as Record<string, unknown>)[key] = value;
  }
  if (params['encryption'] !== undefined) {
    const e = params['encryption'] === 'tolerated' ? 'allowed' : params['encryption'];
    if (e !== 'required' && e !== 'preferred' && e !== 'allowed') throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'must be one of "preferred", "required" or "allowed"');
    changes.encryption = e;
  }
  if (params['download_dir'] !== undefined) {
    changes.download_dir = await import('../allowed-paths.js').then((m) => m.checkDownloadDir(daemon.options.downloadDir, params['download_dir'])).catch(pathError);
  }
  daemon.updateSettings(changes);
  return { args: {} };
};

const sessionGet: Method = async ({ params, style }, context) => {
  const all = sessionValues({ settings: context.daemon.settings, sessionId: context.sessionId(), configDir: context.daemon.options.dataDir, version: context.version, style });
  const asked = params['fields'];
  if (!Array.isArray(asked)) return { args: all };
  const args: Record<string, unknown> = {};
  for (const name of asked) {
    if (typeof name !== 'string') continue;
    const snake = style === 'classic' ? snakeName(name) : name;
    if (Object.hasOwn(all, snake)) args[snake] = all[snake];
  }
  return { args };
};

const sessionStats: Method = async (_call, { daemon }) => {
  const list = daemon.list();
  let down = 0;
  let up = 0;
  for (const e of list) {
    const r = e.rates();
    down += r.down;
    up += r.up;
  }
  const totals = daemon.totals();
  const seconds = Math.floor((daemon.clock.now() - daemon.startedAt) / 1000);
  const stats = { uploaded_bytes: totals.uploaded, downloaded_bytes: totals.downloaded, files_added: list.length, seconds_active: seconds, session_count: 1 };
  return {
    args: {
      active_torrent_count: list.filter((e) => e.running).length,
      paused_torrent_count: list.filter((e) => !e.running).length,
      torrent_count: list.length,
      download_speed: Math.round(down),
      upload_speed: Math.round(up),
      cumulative_stats: stats,
      current_stats: stats,
    },
  };
};

const freeSpace: Method = async ({ params }) => {
  const dir = params['path'];
  if (typeof dir !== 'string' || dir === '') throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'directory path argument is missing');
  if (!path.isAbsolute(dir)) throw new RpcError(RPC_ERROR.PATH_NOT_ABSOLUTE, 'directory path is not absolute');
  const fs = await statfs(dir).catch((err: NodeJS.ErrnoException) => {
    throw new RpcError(RPC_ERROR.SYSTEM_ERROR, `${dir}: ${err.code ?? err.message}`);
  });
  return { args: { path: dir, size_bytes: fs.bavail * fs.bsize, total_size: fs.blocks * fs.bsize } };
};

const METHODS: Record<string, Method> = {
  session_get: sessionGet,
  session_set: sessionSet,
  session_stats: sessionStats,
  session_close: async (_call, { requestClose }) => {
    setImmediate(requestClose);
    return { args: {} };
  },
  torrent_add: torrentAdd,
  torrent_get: torrentGet,
  torrent_set: torrentSet,
  torrent_start: withTorrents((d, e) => d.startTorrents(e)),
  torrent_start_now: withTorrents((d, e) => d.startTorrents(e, true)),
  torrent_stop: withTorrents((d, e) => d.stopTorrents(e)),
  torrent_verify: withTorrents((d, e) => d.verify(e)),
  torrent_reannounce: withTorrents((d, e) => d.reannounce(e)),
  torrent_remove: withTorrents((d, e, p) => d.remove(e, p['delete_local_data'] === true)),
  torrent_set_location: async ({ params }, { daemon }) => {
    const location = params['location'];
    if (typeof location !== 'string' || location === '') throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'no location');
    for (const entry of selectTorrents(daemon, params['ids'])) await daemon.setLocation(entry, location, params['move'] === true).catch(pathError);
    return { args: {} };
  },
  torrent_rename_path: torrentRenamePath,
  queue_move_top: withTorrents((d, e) => d.queueMove(e, 'top')),
  queue_move_up: withTorrents((d, e) => d.queueMove(e, 'up')),
  queue_move_down: withTorrents((d, e) => d.queueMove(e, 'down')),
  queue_move_bottom: withTorrents((d, e) => d.queueMove(e, 'bottom')),
  free_space: freeSpace,
  port_test: async () => {
    throw new RpcError(RPC_ERROR.HTTP_ERROR, "Couldn't test port: actorrent has no outside service to ask whether the port is reachable");
  },
  blocklist_update: async () => {
    throw new RpcError(RPC_ERROR.INVALID_BLOCKLIST_DATA, 'blocklists are not supported');
  },
  group_get: async () => ({ args: { group: [] } }),
  group_set: async () => {
    throw new RpcError(RPC_ERROR.INVALID_PARAMS, 'bandwidth groups are not supported');
  },
};
