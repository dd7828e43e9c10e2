import type { Subscription } from 'rxjs';
import { type ActorRefFrom, type AnyActorRef, type InspectionEvent, createActor, waitFor } from 'xstate';
import { type DaemonTorrentWork, daemonTorrentMachine } from '../actors/daemon-torrent.js';
import { type DaemonTorrentPhase, type DaemonTorrentSnapshot, checkingWhileStopped, daemonTorrentPhase, hasRun, torrentError } from '../actors/daemon-torrent-queries.js';
import { AdjustableLimiter } from '../engine/adjustable-limiter.js';
import type { Clock } from '../env/clock.js';
import type { Magnet } from '../protocol/magnet.js';
import { type Metainfo, parseTorrent } from '../protocol/metainfo/index.js';
import type { MetadataFetchHandle, PeerInfo, PieceView, Session, TorrentHandle, TorrentSessionEvent } from '../session.js';
import { type SeedLimitInput, seedLimitReached } from '../policy/seed-limits.js';
import { piecePriorities } from '../policy/file-priorities.js';
import { byteLength, hasBit } from '../util/bits.js';
import type { SavedTorrent, StateStore } from './state-store.js';
import { type ByteProgress, type FileSpan, byteProgress, fileSpans, wantedPieces } from './torrent-layout.js';
import { SPEED_UNIT_BYTES } from './settings.js';
import { TrackerBook } from './tracker-book.js';

/**
 * One torrent of the daemon: its saved settings, its data views (progress, peers, counters), and
 * the work its DaemonTorrent actor (src/actors/daemon-torrent.ts) steers: the magnet's metadata
 * fetch, reading the resume data, adding it to the Session (so verified pieces are never fetched or
 * hashed again) and stopping it (which saves the resume data). The actor decides when each runs;
 * this class does it and forwards the handle's `checked` / `complete` / `failed` to the actor.
 */
export type EntryPhase = DaemonTorrentPhase;

export interface EntryContext {
  session: Session;
  store: StateStore;
  clock: Clock;
  globalDown: AdjustableLimiter;
  globalUp: AdjustableLimiter;
  pexEnabled: () => boolean;
  /** The session's seed ratio and idle defaults (Transmission's seed_ratio_limited…). */
  sessionSeedLimits: () => SeedLimitInput['session'];
  /** The Daemon machine, told when what the queue looks at changes. */
  daemon: AnyActorRef;
  /** How often a seeding torrent's ratio and idle limits are looked at. */
  seedLimitCheckMs?: number;
  /** Something changed: save the state, think about the queue again. */
  changed: () => void;
  /** Counters moved: save the state soon (nothing to decide). */
  dirty: () => void;
  /** Labels the session's inspection events of the actors created inside `fn` with this torrent's hash. */
  labelActors: <T>(hash: string, fn: () => T) => T;
  /** The torrent's own actor's inspection events, labelled with its hash. */
  inspect?: (hash: string, event: InspectionEvent) => void;
}

/** What a run starts from (DaemonTorrentWork.prepareRun's answer). */
interface PreparedRun {
  trustedHave?: Uint8Array;
  knownHave?: Uint8Array;
}

export class TorrentEntry {
  meta?: Metainfo;
  spans: FileSpan[] = [];
  /** Unix seconds this run started (Transmission's `start_date`). */
  startDate = 0;
  readonly trackers = new TrackerBook();
  private actor?: ActorRefFrom<typeof daemonTorrentMachine>;
  private handle?: TorrentHandle;
  private fetch?: MetadataFetchHandle;
  private events?: Subscription;
  /** A halt under way: a second one waits for it. */
  private halting?: Promise<void>;
  /** Pieces verified, as last known (from the resume data, or the handle when it stopped). */
  private have: Uint8Array = new Uint8Array(0);
  private progressCache?: { key: string; value: ByteProgress };
  private readonly downLimiter: AdjustableLimiter;
  private readonly upLimiter: AdjustableLimiter;
  private lastActivityMs: number;
  /** This run's payload bytes, as the last idle look saw them. */
  private movedAtLastLook = 0;
  private runStartedMs = 0;
  /** The peers the metadata fetch met: dialled by the download, as the CLI does. */
  private metadataPeers: { host: string; port: number }[] = [];

  constructor(
    readonly id: number,
    readonly saved: SavedTorrent,
    private readonly context: EntryContext,
    readonly magnet?: Magnet,
  ) {
    this.downLimiter = new AdjustableLimiter(context.clock, undefined, saved.honors_session_limits ? context.globalDown : undefined);
    this.upLimiter = new AdjustableLimiter(context.clock, undefined, saved.honors_session_limits ? context.globalUp : undefined);
    this.applyLimits();
    this.lastActivityMs = context.clock.now();
  }

  /** Starts its actor once the metadata and the resume data are read; returns it for the Daemon machine. */
  activate(): ActorRefFrom<typeof daemonTorrentMachine> {
    const inspect = this.context.inspect;
    const hash = this.hash;
    const actor = createActor(daemonTorrentMachine, {
      clock: this.context.clock,
      ...(inspect ? { inspect: (event: InspectionEvent) => inspect(hash, event) } : {}),
      input: { id: this.id, work: this.work(), stopped: this.saved.stopped, daemon: this.context.daemon, seedLimitCheckMs: this.context.seedLimitCheckMs },
    });
    this.actor = actor;
    actor.start();
    return actor;
  }

  private snapshot(): DaemonTorrentSnapshot | undefined {
    return this.actor?.getSnapshot();
  }

  get hash(): string {
    return this.saved.hash;
  }

  get phase(): EntryPhase {
    const s = this.snapshot();
    return s ? daemonTorrentPhase(s) : this.saved.stopped ? 'stopped' : 'queued';
  }

  /** A run (the handle, or the magnet's fetch) exists or is winding down. */
  get running(): boolean {
    const s = this.snapshot();
    return s ? hasRun(s) : false;
  }

  /** Being hashed after torrent_verify while not running: it stops again after the check. */
  get checkingWhileStopped(): boolean {
    const s = this.snapshot();
    return s ? checkingWhileStopped(s) : false;
  }

  /** Why it failed, or ''. */
  get error(): string {
    const s = this.snapshot();
    return s ? torrentError(s) : '';
  }

  get complete(): boolean {
    return this.meta !== undefined && this.byteProgress().leftUntilDone === 0;
  }

  /** Sets the metadata (a .torrent, or a magnet's once fetched) and the per-file settings that go with it. */
  setMeta(meta: Metainfo, have?: Uint8Array): void {
    this.meta = meta;
    this.spans = fileSpans(meta);
    this.saved.name = meta.name;
    if (this.saved.wanted.length !== this.spans.length) this.saved.wanted = this.spans.map(() => true);
    if (this.saved.priorities.length !== this.spans.length) this.saved.priorities = this.spans.map(() => 0);
    this.have = have ?? new Uint8Array(byteLength(meta.pieceCount));
  }

  /** Reads what the resume data says we have, for a torrent not running (status after a restart). */
  async loadHave(): Promise<void> {
    if (!this.meta) return;
    const verdict = await this.context.session.readResume(this.meta, this.saved.download_dir, this.context.store.resumeFile(this.hash));
    if (verdict.trusted) this.have = verdict.have;
    else if (verdict.known) this.have = verdict.known;
  }

  haveBitfield(): Uint8Array {
    return this.handle ? this.handle.haveBitfield() : this.have;
  }

  byteProgress(): ByteProgress {
    if (!this.meta) return { sizeWhenDone: 0, leftUntilDone: 0, haveValid: 0, fileDone: [] };
    const have = this.handle?.progress().have ?? -1;
    // Recomputed only when a piece verified or the selection changed: torrent_get of many torrents stays cheap.
    const key = `${this.handle ? have : 'stopped'}:${this.saved.wanted.join('')}:${this.handle ? '' : this.have.length}`;
    if (this.progressCache?.key !== key || !this.handle) {
      this.progressCache = { key, value: byteProgress(this.meta, this.spans, this.haveBitfield(), this.saved.wanted) };
    }
    return this.progressCache.value;
  }

  rates(): { down: number; up: number; peers: number } {
    if (!this.handle) return { down: 0, up: 0, peers: 0 };
    const p = this.handle.progress();
    return { down: p.downloadRate, up: p.uploadRate, peers: p.peers };
  }

  peers(): PeerInfo[] {
    return this.handle?.peers() ?? [];
  }

  pieceStates(): PieceView[] | undefined {
    return this.handle?.pieces();
  }

  /** Per piece, how many connected peers have it, -1 for the pieces we have (0 for the others when not running). */
  availability(): number[] {
    if (this.handle) return this.handle.availability();
    if (!this.meta) return [];
    const have = this.have;
    return Array.from({ length: this.meta.pieceCount }, (_, i) => (hasBit(have, i) ? -1 : 0));
  }

  /** The share of the pieces hashed so far while checking, 0…1 (0 before the check starts). */
  checkProgress(): number {
    return this.handle?.checkProgress() ?? 0;
  }

  /** The saved files wanted and priorities go to the running torrent at once (no restart). */
  applyFileSelection(): void {
    this.handle?.setFileSelection(this.fileSelection());
  }

  /** The live handle, for the web UI's piece map and statecharts. */
  liveHandle(): TorrentHandle | undefined {
    return this.handle;
  }

  metadataProgress(): number {
    if (this.meta) return 1;
    const p = this.fetch?.progress();
    return p?.total ? p.received / p.total : 0;
  }

  /** Bytes sent and received ever, this run included. */
  totals(): { uploaded: number; downloaded: number } {
    const p = this.handle?.progress();
    return { uploaded: this.saved.uploaded_ever + (p?.uploaded ?? 0), downloaded: this.saved.downloaded_ever + (p?.downloaded ?? 0) };
  }

  /**
   * Milliseconds since data last moved (for the idle seeding limit). Bytes moved since the last look
   * count as moving now: looks stop while no limit applies, and a limit set later must not find a
   * busy torrent idle.
   */
  idleMs(): number {
    const now = this.context.clock.now();
    const p = this.handle?.progress();
    const moved = p ? p.uploaded + p.downloaded : this.movedAtLastLook;
    if (moved !== this.movedAtLastLook || (p && (p.downloadRate > 0 || p.uploadRate > 0))) this.lastActivityMs = now;
    this.movedAtLastLook = moved;
    return now - this.lastActivityMs;
  }

  /** Seconds spent downloading and seeding, this run included. */
  seconds(): { downloading: number; seeding: number } {
    const running = this.handle ? Math.floor((this.context.clock.now() - this.runStartedMs) / 1000) : 0;
    const phase = this.phase;
    return {
      downloading: this.saved.seconds_downloading + (phase === 'downloading' ? running : 0),
      seeding: this.saved.seconds_seeding + (phase === 'seeding' ? running : 0),
    };
  }

  /** Applies the saved per-torrent limits to the running torrent at once. */
  applyLimits(): void {
    this.downLimiter.setRate(this.saved.download_limited ? this.saved.download_limit * SPEED_UNIT_BYTES : undefined);
    this.upLimiter.setRate(this.saved.upload_limited ? this.saved.upload_limit * SPEED_UNIT_BYTES : undefined);
  }

  /** torrent_start (`now`: torrent_start_now, whatever the queue says). */
  start(now = false): void {
    this.actor?.send({ type: 'START', now });
  }

  /** Resolves once no run is left. */
  async stop(): Promise<void> {
    const actor = this.actor;
    if (!actor) return;
    actor.send({ type: 'STOP' });
    await waitFor(actor, (s) => !hasRun(s) || s.status === 'done');
  }

  /** Hashes every piece again; a torrent not running is checked and stays as it was. */
  verify(): void {
    this.actor?.send({ type: 'VERIFY' });
  }

  /** Stops it if it runs, does `change`, and starts it again if it ran (files wanted, location, names); `change`'s error is thrown. */
  restartAround(change: () => Promise<void> | void): Promise<void> {
    const actor = this.actor;
    if (!actor) return Promise.resolve(change());
    return new Promise<void>((resolve, reject) => {
      const apply = async () => {
        try {
          await change();
          resolve();
        } catch (err) {
          reject(err);
          throw err;
        }
      };
      actor.send({ type: 'CHANGE', apply });
      // Closed before the change came up: there is nothing left to change.
      void waitFor(actor, (s) => s.status === 'done').then(() => resolve(), () => undefined);
    });
  }

  /** Stops for good (torrent_remove, daemon shutdown). */
  async close(): Promise<void> {
    const actor = this.actor;
    if (!actor) return;
    actor.send({ type: 'CLOSE' });
    await waitFor(actor, (s) => s.status === 'done');
  }

  /** What the actor steers. */
  private work(): DaemonTorrentWork {
    return {
      hasMetadata: () => this.meta !== undefined,
      fetchMetadata: (signal) => this.fetchMetadata(signal),
      prepareRun: (options) => this.prepareRun(options),
      launch: (prepared) => this.launch(prepared as PreparedRun),
      halt: () => this.halt(),
      persistStopped: (stopped) => {
        if (this.saved.stopped === stopped) return;
        this.saved.stopped = stopped;
        this.context.dirty();
      },
      seedLimitReached: () => this.seedLimitReached(),
      seedLimited: () => this.seedLimited(),
    };
  }

  private async fetchMetadata(signal: AbortSignal): Promise<void> {
    const magnet = this.magnet!;
    this.startDate = Math.floor(this.context.clock.now() / 1000);
    const fetch = this.context.labelActors(this.hash, () =>
      this.context.session.fetchMetadata(magnet.infoHash, { trackers: magnet.trackers, peers: magnet.peers }),
    );
    this.fetch = fetch;
    // A metadata fetch waits for peers indefinitely: stopped at once when the actor leaves it.
    const abort = () => void fetch.stop();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const fetched = await fetch.whenFetched();
      this.metadataPeers = fetched.peers;
      await this.context.store.saveTorrentFile(this.hash, fetched.torrentFile);
      this.setMeta(parseTorrent(fetched.torrentFile));
      this.saved.magnet = undefined;
      this.context.changed();
    } finally {
      signal.removeEventListener('abort', abort);
      this.fetch = undefined;
    }
  }

  private async prepareRun(options: { verify: boolean }): Promise<PreparedRun> {
    this.startDate = Math.floor(this.context.clock.now() / 1000);
    if (options.verify) return {};
    const verdict = await this.context.session.readResume(this.meta!, this.saved.download_dir, this.context.store.resumeFile(this.hash));
    return verdict.trusted ? { trustedHave: verdict.have } : { knownHave: verdict.known };
  }

  private launch(prepared: PreparedRun): void {
    const meta = this.meta!;
    const { session, store } = this.context;
    const handle = this.context.labelActors(this.hash, () =>
      session.add(meta, {
        downloadDir: this.saved.download_dir,
        seed: true,
        trustedHave: prepared.trustedHave,
        knownHave: prepared.knownHave,
        ...this.fileSelection(),
        maxPeers: this.saved.peer_limit,
        uploadLimiter: this.upLimiter,
        downloadLimiter: this.downLimiter,
        pex: this.context.pexEnabled(),
        saveResume: true,
        resumeFile: store.resumeFile(this.hash),
      }),
    );
    this.handle = handle;
    const peers = [...(this.magnet?.peers ?? []), ...this.metadataPeers];
    if (peers.length > 0) handle.addPeers(peers, 'magnet');
    this.runStartedMs = this.context.clock.now();
    this.lastActivityMs = this.runStartedMs;
    this.movedAtLastLook = 0;
    this.events = handle.events$.subscribe((event) => this.onEvent(handle, event));
    this.context.changed();
  }

  /** The pieces to fetch and their priorities, from the saved per-file choices. */
  private fileSelection(): { wanted?: Uint8Array; priorities?: Int8Array } {
    const meta = this.meta!;
    return {
      wanted: wantedPieces(meta, this.spans, this.saved.wanted),
      priorities: piecePriorities(meta.pieceCount, this.spans, this.saved.wanted, this.saved.priorities),
    };
  }

  private onEvent(handle: TorrentHandle, event: TorrentSessionEvent): void {
    const now = this.context.clock.now();
    // A run being stopped says nothing more to the actor (its tracker's last words are still recorded).
    const current = this.handle === handle && this.halting === undefined;
    switch (event.type) {
      case 'checked':
        if (current) this.actor?.send({ type: 'CHECKED', complete: event.have === event.total });
        break;
      case 'piece-verified':
        this.lastActivityMs = now;
        this.saved.activity_date = Math.floor(now / 1000);
        break;
      case 'piece-failed':
        if (this.meta) this.saved.corrupt_ever += this.meta.pieceLength;
        break;
      case 'complete':
        this.saved.done_date = Math.floor(now / 1000);
        if (current) this.actor?.send({ type: 'COMPLETE' });
        break;
      case 'incomplete':
        if (current) this.actor?.send({ type: 'INCOMPLETE' });
        break;
      case 'failed':
        if (current) this.actor?.send({ type: 'RUN_FAILED', message: event.message });
        break;
      case 'tracker':
        this.trackers.record(event.event, Math.floor(now / 1000));
        break;
      default:
        return;
    }
    this.context.dirty();
  }

  /** Its seed limits or the session's changed: the actor decides again whether to watch them. */
  seedLimitsChanged(): void {
    this.actor?.send({ type: 'LIMITS_CHANGED' });
  }

  /** A ratio or idle limit applies: its own (mode 1), or the session's (mode 0, the session's on). */
  private seedLimited(): boolean {
    const session = this.context.sessionSeedLimits();
    const saved = this.saved;
    return saved.seed_ratio_mode === 1 || saved.seed_idle_mode === 1 || ((session.ratioLimited || session.idleLimited) && (saved.seed_ratio_mode === 0 || saved.seed_idle_mode === 0));
  }

  /** The seed ratio / idle limits (src/policy/seed-limits.ts) over this torrent's counters. */
  private seedLimitReached(): 'ratio' | 'idle' | undefined {
    if (!this.seedLimited()) return undefined;
    const session = this.context.sessionSeedLimits();
    const saved = this.saved;
    const totals = this.totals();
    return seedLimitReached({
      ratioMode: saved.seed_ratio_mode,
      ratioLimit: saved.seed_ratio_limit,
      idleMode: saved.seed_idle_mode,
      idleLimit: saved.seed_idle_limit,
      session,
      uploaded: totals.uploaded,
      ratioBase: totals.downloaded > 0 ? totals.downloaded : this.byteProgress().haveValid,
      idleMs: this.idleMs(),
    });
  }

  /** Stops whatever runs; folds this run's counters into the saved ones. */
  private halt(): Promise<void> {
    this.halting ??= this.haltNow().finally(() => (this.halting = undefined));
    return this.halting;
  }

  private async haltNow(): Promise<void> {
    if (this.fetch) await this.fetch.stop();
    const handle = this.handle;
    if (!handle) return;
    const p = handle.progress();
    const seconds = this.seconds();
    await handle.stop();
    this.events?.unsubscribe();
    this.have = Uint8Array.from(handle.haveBitfield());
    this.saved.uploaded_ever += p.uploaded;
    this.saved.downloaded_ever += p.downloaded;
    this.saved.seconds_downloading = seconds.downloading;
    this.saved.seconds_seeding = seconds.seeding;
    this.handle = undefined;
    this.progressCache = undefined;
    this.context.dirty();
  }
}
