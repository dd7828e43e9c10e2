import { mkdir, rename as renameFile, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Actor, type InspectionEvent, createActor, waitFor } from 'xstate';
import { type DaemonWork, daemonMachine } from '../actors/daemon.js';
import { AdjustableLimiter } from '../engine/adjustable-limiter.js';
import { type Clock, systemClock } from '../env/clock.js';
import type { TrackerTransport } from '../env/tracker-transport.js';
import { type Magnet, parseMagnet } from '../protocol/magnet.js';
import { type Metainfo, parseTorrent } from '../protocol/metainfo/index.js';
import { moveInQueue } from '../policy/daemon-queue.js';
import { loadDhtState, saveDhtState } from '../dht/state-file.js';
import { Session } from '../session.js';
import type { SessionDhtOptions } from '../session-dht.js';
import { messageOf } from '../util/message-of.js';
import { PathRefused, checkDownloadDir } from './allowed-paths.js';
import { type SessionSettings, defaultSettings, encryptionMode, globalRates } from './settings.js';
import { type SavedTorrent, STATE_VERSION, StateStore } from './state-store.js';
import { TorrentEntry } from './torrent-entry.js';

/**
 * The daemon: one Session, one peer port, any number of torrents, their settings and state kept in
 * the state folder. Its lifecycle, the queue and the state saves are the Daemon machine's
 * (src/actors/daemon.ts); each torrent's runs are its DaemonTorrent actor's. This class does their
 * work, and the RPC, the web UI and the watch folder call its operations.
 */
export interface DaemonOptions {
  /** The state folder (`--data`). */
  dataDir: string;
  /** Default download folder, and the root every download folder given over RPC must be inside. */
  downloadDir: string;
  /** Peer port; 0 picks a free one. */
  peerPort: number;
  /** Listen for peers on, and dial from, this address. */
  peerHost?: string;
  /** The Mainline DHT's bootstrap nodes (and its saved table); undefined: no DHT (`--no-dht`). */
  dht?: SessionDhtOptions;
  clock?: Clock;
  trackerTransport?: TrackerTransport;
  /** Each actor's inspection events, labelled with its torrent's infohash (the web UI's statecharts). */
  inspect?: (label: string, event: InspectionEvent) => void;
  /** How often a seeding torrent's ratio and idle limits are looked at; default 5 s. */
  tickMs?: number;
}

export interface AddRequest {
  metainfo?: Buffer;
  magnet?: string;
  downloadDir?: string;
  paused?: boolean;
  labels?: string[];
  filesWanted?: number[];
  filesUnwanted?: number[];
  priorityHigh?: number[];
  priorityLow?: number[];
  priorityNormal?: number[];
  peerLimit?: number;
  bandwidthPriority?: number;
}

export class AddError extends Error {
  override name = 'AddError';
}

/** Seconds a torrent stays "recently active" (Transmission's RecentlyActiveSeconds). */
const RECENT_SECONDS = 60;

export class Daemon {
  readonly store: StateStore;
  readonly clock: Clock;
  settings: SessionSettings;
  session!: Session;
  readonly startedAt: number;
  private readonly entries = new Map<number, TorrentEntry>();
  private readonly byHash = new Map<string, TorrentEntry>();
  private nextId = 1;
  private readonly globalDown: AdjustableLimiter;
  private readonly globalUp: AdjustableLimiter;
  private readonly actor: Actor<typeof daemonMachine>;
  private closed = false;
  /** Hashes of torrents whose actors are being created: inspection events are labelled with it. */
  private labelling?: string;
  private readonly systemLabels = new WeakMap<object, string>();
  /** Ids removed lately, for `recently_active` (Transmission answers them as `removed`). */
  private readonly removed: { id: number; at: number }[] = [];
  /** Counters of torrents no longer here, so totals never go down. */
  private readonly departed = { uploaded: 0, downloaded: 0, hashFailures: 0, trackerErrors: 0 };
  private lastChangeAt = new Map<number, number>();

  constructor(readonly options: DaemonOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = new StateStore(options.dataDir);
    this.settings = defaultSettings(options.downloadDir, options.peerPort);
    this.globalDown = new AdjustableLimiter(this.clock);
    this.globalUp = new AdjustableLimiter(this.clock);
    this.startedAt = this.clock.now();
    this.actor = createActor(daemonMachine, { clock: this.clock, input: { work: this.work() } });
  }

  get peerPort(): number {
    return this.session.port;
  }

  async start(): Promise<void> {
    this.actor.start();
    const s = await waitFor(this.actor, (x) => !x.matches('starting'));
    if (s.matches('failed')) throw new Error(s.context.error ?? 'the daemon could not start');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.actor.getSnapshot().status === 'active') {
      this.actor.send({ type: 'CLOSE' });
      await waitFor(this.actor, (x) => x.status === 'done');
    }
    const dht = this.session?.dht;
    if (dht) await saveDhtState(this.dhtStateFile(), dht).catch((err: unknown) => void process.stderr.write(`actorrent daemon: cannot save the DHT's table: ${messageOf(err)}\n`));
    await this.session?.close();
  }

  /** The DHT's node id and routing table, kept between runs. */
  private dhtStateFile(): string {
    return path.join(this.options.dataDir, 'dht.state');
  }

  /** The Daemon machine's work. */
  private work(): DaemonWork {
    return {
      start: () => this.startNow(),
      save: () => this.saveNow().catch((err: unknown) => void process.stderr.write(`actorrent daemon: cannot save the state: ${messageOf(err)}\n`)),
      close: async () => {
        await Promise.all(this.list().map((e) => e.close()));
        await this.saveNow();
      },
      queueLimits: () => ({
        downloads: this.settings.download_queue_enabled ? this.settings.download_queue_size : undefined,
        seeds: this.settings.seed_queue_enabled ? this.settings.seed_queue_size : undefined,
      }),
      queueInfo: (id) => {
        const entry = this.entries.get(id);
        return entry && { queuePosition: entry.saved.queue_position, complete: entry.complete };
      },
    };
  }

  private async startNow(): Promise<void> {
    await this.store.init();
    await mkdir(this.options.downloadDir, { recursive: true });
    const state = await this.store.load();
    // The peer port is the command line's (`--port`, 0 for a free one), not the saved one, which may be taken now.
    if (state) this.settings = { ...this.settings, ...state.settings, peer_port: this.options.peerPort };
    this.applyGlobalLimits();
    this.session = new Session({
      host: this.options.peerHost,
      port: this.settings.peer_port,
      encryption: encryptionMode(this.settings.encryption),
      lsd: this.settings.lpd_enabled,
      dht: this.options.dht && this.settings.dht_enabled ? { ...this.options.dht, ...(await loadDhtState(this.dhtStateFile())) } : undefined,
      clock: this.options.clock,
      trackerTransport: this.options.trackerTransport,
      inspect: this.options.inspect && ((event) => this.inspect(event)),
    });
    await this.session.listen();
    this.settings.peer_port = this.session.port;
    for (const saved of [...(state?.torrents ?? [])].sort((a, b) => a.queue_position - b.queue_position)) {
      await this.restore(saved).catch((err: unknown) => process.stderr.write(`actorrent daemon: cannot restore ${saved.hash}: ${messageOf(err)}\n`));
    }
    this.renumberQueue();
    await this.saveNow();
  }

  list(): TorrentEntry[] {
    return [...this.entries.values()];
  }

  get(idOrHash: number | string): TorrentEntry | undefined {
    return typeof idOrHash === 'number' ? this.entries.get(idOrHash) : this.byHash.get(idOrHash.toLowerCase());
  }

  /** Torrents that changed in the last minute, and the ids removed in it (`recently_active`). */
  recentlyActive(): { torrents: TorrentEntry[]; removed: number[] } {
    const cutoff = this.clock.now() - RECENT_SECONDS * 1000;
    const torrents = this.list().filter((e) => (this.lastChangeAt.get(e.id) ?? 0) >= cutoff || e.rates().down > 0 || e.rates().up > 0);
    return { torrents, removed: this.removed.filter((r) => r.at >= cutoff).map((r) => r.id) };
  }

  /** Adds a .torrent or a magnet link; an infohash already here is answered as a duplicate. */
  async add(request: AddRequest): Promise<{ entry: TorrentEntry; duplicate: boolean }> {
    let meta: Metainfo | undefined;
    let magnet: Magnet | undefined;
    try {
      if (request.metainfo) meta = parseTorrent(request.metainfo);
      else if (request.magnet) magnet = parseMagnet(request.magnet);
      else throw new AddError('no filename or metainfo specified');
    } catch (err) {
      if (err instanceof AddError) throw err;
      throw new AddError('invalid or corrupt torrent file');
    }
    const hash = meta?.infoHashHex ?? magnet!.infoHashHex;
    const known = this.byHash.get(hash);
    if (known) return { entry: known, duplicate: true };
    const downloadDir = request.downloadDir === undefined ? this.settings.download_dir : await checkDownloadDir(this.options.downloadDir, request.downloadDir);
    const now = Math.floor(this.clock.now() / 1000);
    const saved: SavedTorrent = {
      hash,
      magnet: magnet ? request.magnet : undefined,
      name: meta?.name ?? magnet?.name ?? hash,
      download_dir: downloadDir,
      stopped: request.paused ?? !this.settings.start_added_torrents,
      queue_position: this.entries.size,
      added_date: now,
      done_date: 0,
      activity_date: 0,
      labels: request.labels ?? [],
      wanted: [],
      priorities: [],
      download_limit: 100,
      download_limited: false,
      upload_limit: 100,
      upload_limited: false,
      honors_session_limits: true,
      peer_limit: request.peerLimit ?? this.settings.peer_limit_per_torrent,
      bandwidth_priority: request.bandwidthPriority ?? 0,
      seed_ratio_mode: 0,
      seed_ratio_limit: this.settings.seed_ratio_limit,
      seed_idle_mode: 0,
      seed_idle_limit: this.settings.idle_seeding_limit,
      uploaded_ever: 0,
      downloaded_ever: 0,
      corrupt_ever: 0,
      seconds_downloading: 0,
      seconds_seeding: 0,
    };
    if (meta) await this.store.saveTorrentFile(hash, request.metainfo!);
    const entry = this.createEntry(saved, magnet);
    if (meta) {
      entry.setMeta(meta);
      this.applyFileChoices(entry, request);
      await entry.loadHave();
    }
    this.activate(entry);
    this.changed(entry);
    return { entry, duplicate: false };
  }

  async remove(entries: TorrentEntry[], deleteData: boolean): Promise<void> {
    for (const entry of entries) {
      this.entries.delete(entry.id);
      this.byHash.delete(entry.hash);
      this.removed.push({ id: entry.id, at: this.clock.now() });
      await entry.close();
      this.actor.send({ type: 'FORGET_TORRENT', id: entry.id });
      const totals = entry.totals();
      this.departed.uploaded += totals.uploaded;
      this.departed.downloaded += totals.downloaded;
      this.departed.hashFailures += entry.saved.corrupt_ever;
      this.departed.trackerErrors += entry.trackers.failures;
      await this.store.forget(entry.hash);
      if (deleteData && entry.meta) await deleteTorrentData(entry.saved.download_dir, entry.meta);
    }
    this.renumberQueue();
    this.changed();
  }

  startTorrents(entries: TorrentEntry[], now = false): void {
    for (const entry of entries) {
      entry.start(now);
      this.touch(entry);
    }
    this.changed();
  }

  async stopTorrents(entries: TorrentEntry[]): Promise<void> {
    for (const entry of entries) this.touch(entry);
    const stopped = Promise.all(entries.map((e) => e.stop()));
    this.changed();
    await stopped;
  }

  reannounce(entries: TorrentEntry[]): void {
    for (const entry of entries) entry.liveHandle()?.reannounce();
  }

  /** Renames a file or folder of the torrent (on disk too); a running torrent restarts under the new names. */
  async renamePath(entry: TorrentEntry, from: string[], name: string): Promise<void> {
    const meta = entry.meta!;
    const renamed = renameInMeta(meta, from, name);
    await entry.restartAround(async () => {
      const source = path.join(entry.saved.download_dir, ...from);
      const target = path.join(entry.saved.download_dir, ...from.slice(0, -1), name);
      if (await exists(target)) throw new PathRefused(`${name} already exists`);
      if (await exists(source)) await renameFile(source, target);
      entry.setMeta(renamed, entry.haveBitfield());
      entry.saved.renamed = { name: renamed.name, paths: renamed.files.map((f) => f.path) };
    });
    this.changed(entry);
  }

  verify(entries: TorrentEntry[]): void {
    for (const entry of entries) {
      this.touch(entry);
      entry.verify();
    }
  }

  /** Files wanted / unwanted and priorities; a running torrent takes the new selection as it runs (no restart). */
  setFiles(entry: TorrentEntry, request: Pick<AddRequest, 'filesWanted' | 'filesUnwanted' | 'priorityHigh' | 'priorityLow' | 'priorityNormal'>): void {
    this.applyFileChoices(entry, request);
    entry.applyFileSelection();
    this.changed(entry);
  }

  /** Moves the data (move) or looks for it (no move, so it is checked again) in another folder inside the allowed root. */
  async setLocation(entry: TorrentEntry, location: string, move: boolean): Promise<void> {
    const target = await checkDownloadDir(this.options.downloadDir, location);
    await entry.restartAround(async () => {
      if (move && entry.meta && target !== entry.saved.download_dir) await moveTorrentData(entry.saved.download_dir, target, entry.meta);
      entry.saved.download_dir = target;
      await entry.loadHave();
    });
    this.changed(entry);
  }

  queueMove(entries: TorrentEntry[], how: 'top' | 'up' | 'down' | 'bottom'): void {
    const order = this.list()
      .sort((a, b) => a.saved.queue_position - b.saved.queue_position)
      .map((e) => e.id);
    const moved = new Set(entries.map((e) => e.id));
    moveInQueue(order, moved, how).forEach((id, position) => (this.entries.get(id)!.saved.queue_position = position));
    this.changed();
  }

  setQueuePosition(entry: TorrentEntry, position: number): void {
    const others = this.list()
      .filter((e) => e !== entry)
      .sort((a, b) => a.saved.queue_position - b.saved.queue_position);
    others.splice(Math.max(0, Math.min(position, others.length)), 0, entry);
    others.forEach((e, i) => (e.saved.queue_position = i));
    this.changed();
  }

  updateSettings(changes: Partial<SessionSettings>): void {
    Object.assign(this.settings, changes);
    this.applyGlobalLimits();
    for (const entry of this.entries.values()) entry.seedLimitsChanged();
    this.changed();
  }

  /** A torrent's settings changed (limits, labels, seed limits…). */
  torrentChanged(entry: TorrentEntry): void {
    entry.applyLimits();
    entry.seedLimitsChanged();
    this.changed(entry);
  }

  /** Totals over every torrent that was ever here in this run, for session_stats and /metrics. */
  totals(): { uploaded: number; downloaded: number; hashFailures: number; trackerErrors: number } {
    const t = { ...this.departed };
    for (const e of this.entries.values()) {
      const x = e.totals();
      t.uploaded += x.uploaded;
      t.downloaded += x.downloaded;
      t.hashFailures += e.saved.corrupt_ever;
      t.trackerErrors += e.trackers.failures;
    }
    return t;
  }

  // ---- internals ----

  private async restore(saved: SavedTorrent): Promise<void> {
    const magnet = saved.magnet ? parseMagnet(saved.magnet) : undefined;
    const entry = this.createEntry(saved, magnet);
    if (!saved.magnet) {
      const meta = parseTorrent(await this.store.readTorrentFile(saved.hash));
      entry.setMeta(saved.renamed ? withPaths(meta, saved.renamed.name, saved.renamed.paths) : meta);
      await entry.loadHave();
    }
    this.activate(entry);
  }

  /** Starts the torrent's actor and registers it with the Daemon machine (its queue). */
  private activate(entry: TorrentEntry): void {
    this.actor.send({ type: 'REGISTER_TORRENT', id: entry.id, ref: entry.activate() });
  }

  private createEntry(saved: SavedTorrent, magnet?: Magnet): TorrentEntry {
    const entry: TorrentEntry = new TorrentEntry(this.nextId++, saved, {
      session: this.session,
      store: this.store,
      clock: this.clock,
      globalDown: this.globalDown,
      globalUp: this.globalUp,
      pexEnabled: () => this.settings.pex_enabled,
      sessionSeedLimits: () => ({
        ratioLimited: this.settings.seed_ratio_limited,
        ratioLimit: this.settings.seed_ratio_limit,
        idleLimited: this.settings.idle_seeding_limit_enabled,
        idleLimit: this.settings.idle_seeding_limit,
      }),
      daemon: this.actor,
      seedLimitCheckMs: this.options.tickMs,
      inspect: this.options.inspect,
      changed: () => this.changed(entry),
      dirty: () => {
        this.touch(entry);
        this.scheduleSave();
      },
      labelActors: (hash, fn) => this.labelActors(hash, fn),
    }, magnet);
    this.entries.set(entry.id, entry);
    this.byHash.set(saved.hash, entry);
    return entry;
  }

  private applyFileChoices(entry: TorrentEntry, request: Pick<AddRequest, 'filesWanted' | 'filesUnwanted' | 'priorityHigh' | 'priorityLow' | 'priorityNormal'>): void {
    const count = entry.spans.length;
    // An empty list means every file, as Transmission reads it.
    const indexes = (list: number[]) => (list.length === 0 ? [...Array(count).keys()] : list.filter((i) => Number.isInteger(i) && i >= 0 && i < count));
    for (const i of indexes(request.filesWanted ?? [-1])) entry.saved.wanted[i] = true;
    for (const i of indexes(request.filesUnwanted ?? [-1])) entry.saved.wanted[i] = false;
    for (const i of indexes(request.priorityHigh ?? [-1])) entry.saved.priorities[i] = 1;
    for (const i of indexes(request.priorityLow ?? [-1])) entry.saved.priorities[i] = -1;
    for (const i of indexes(request.priorityNormal ?? [-1])) entry.saved.priorities[i] = 0;
  }

  private applyGlobalLimits(): void {
    const rates = globalRates(this.settings);
    this.globalDown.setRate(rates.down);
    this.globalUp.setRate(rates.up);
  }

  private touch(entry: TorrentEntry): void {
    this.lastChangeAt.set(entry.id, this.clock.now());
  }

  /** Saves soon, and has the Daemon machine look at the queue again. */
  private changed(entry?: TorrentEntry): void {
    if (this.closed) return;
    if (entry) this.touch(entry);
    this.scheduleSave();
    this.actor.send({ type: 'RECONCILE' });
  }

  private renumberQueue(): void {
    this.list()
      .sort((a, b) => a.saved.queue_position - b.saved.queue_position)
      .forEach((e, i) => (e.saved.queue_position = i));
  }

  private scheduleSave(): void {
    this.actor.send({ type: 'DIRTY' });
  }

  async saveNow(): Promise<void> {
    const torrents = this.list().map((e) => {
      const totals = e.totals();
      const seconds = e.seconds();
      // Counters as of now, without folding them in (the handle may still run).
      return { ...e.saved, uploaded_ever: totals.uploaded, downloaded_ever: totals.downloaded, seconds_downloading: seconds.downloading, seconds_seeding: seconds.seeding };
    });
    await this.store.save({ version: STATE_VERSION, settings: this.settings, torrents });
  }

  private labelActors<T>(hash: string, fn: () => T): T {
    const previous = this.labelling;
    this.labelling = hash;
    try {
      return fn();
    } finally {
      this.labelling = previous;
    }
  }

  /** Each torrent is an actor system of its own: its actors are labelled by the hash it was created under. */
  private inspect(event: InspectionEvent): void {
    const system = (event.actorRef as { system?: object }).system;
    if (!system) return;
    let label = this.systemLabels.get(system);
    if (label === undefined && this.labelling !== undefined) {
      label = this.labelling;
      this.systemLabels.set(system, label);
    }
    if (label !== undefined) this.options.inspect!(label, event);
  }
}

/** Deletes the torrent's files, then the folders they leave empty; never anything else. */
async function deleteTorrentData(downloadDir: string, meta: Metainfo): Promise<void> {
  const folders = new Set<string>();
  for (const file of meta.files) {
    if (file.padding) continue;
    const full = path.join(downloadDir, ...file.path);
    await rm(full, { force: true });
    for (let dir = path.dirname(full); dir.startsWith(downloadDir + path.sep); dir = path.dirname(dir)) folders.add(dir);
  }
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) await rmdir(dir).catch(() => undefined);
}

async function moveTorrentData(from: string, to: string, meta: Metainfo): Promise<void> {
  for (const file of meta.files) {
    if (file.padding) continue;
    const source = path.join(from, ...file.path);
    const target = path.join(to, ...file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await renameFile(source, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  await deleteTorrentData(from, meta);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** The metainfo with one path component renamed: `from` must name a file or folder of the torrent. */
export function renameInMeta(meta: Metainfo, from: string[], name: string): Metainfo {
  const depth = from.length - 1;
  const matches = (p: string[]) => p.length > depth && from.every((part, i) => p[i] === part);
  if (!meta.files.some((f) => matches(f.path))) throw new PathRefused(`${from.join('/')} is not a file or folder of this torrent`);
  const paths = meta.files.map((f) => (matches(f.path) ? [...f.path.slice(0, depth), name, ...f.path.slice(depth + 1)] : f.path));
  const topRenamed = depth === 0 && from[0] === meta.name;
  return withPaths(meta, topRenamed ? name : meta.name, paths);
}

function withPaths(meta: Metainfo, name: string, paths: string[][]): Metainfo {
  if (paths.length !== meta.files.length) return meta;
  return { ...meta, name, files: meta.files.map((f, i) => ({ ...f, path: paths[i]! })) };
}
