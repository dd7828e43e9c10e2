import type { Subscription } from 'rxjs';
import { AdjustableLimiter } from '../engine/adjustable-limiter.js';
import type { Clock } from '../env/clock.js';
import type { Magnet } from '../protocol/magnet.js';
import { type Metainfo, parseTorrent } from '../protocol/metainfo/index.js';
import type { MetadataFetchHandle, PeerInfo, Session, TorrentHandle, TorrentSessionEvent } from '../session.js';
import type { PieceState } from '../policy/piece-picker.js';
import { byteLength } from '../util/bits.js';
import { messageOf } from '../util/message-of.js';
import type { SavedTorrent, StateStore } from './state-store.js';
import { type ByteProgress, type FileSpan, byteProgress, fileSpans, wantedPieces } from './torrent-layout.js';
import { SPEED_UNIT_BYTES } from './settings.js';
import { TrackerBook } from './tracker-book.js';

/**
 * One torrent of the daemon: its saved settings, and the TorrentHandle (or the magnet's metadata
 * fetch) while it runs. Starting adds it to the Session with its resume data, so verified pieces
 * are never fetched or hashed again; stopping stops the handle, which saves the resume data.
 * Changes that the running torrent cannot take (files wanted, location, verify) stop it and start
 * it again. Operations on one torrent run one after the other.
 *
 * Phases: stopped, queued (wants to run, no slot), metadata (magnet), checking, downloading,
 * seeding, failed (a disk error; `error` says why). While a handle runs, its state is the phase.
 */
export type EntryPhase = 'stopped' | 'queued' | 'metadata' | 'checking' | 'downloading' | 'seeding' | 'failed';

export interface EntryContext {
  session: Session;
  store: StateStore;
  clock: Clock;
  globalDown: AdjustableLimiter;
  globalUp: AdjustableLimiter;
  pexEnabled: () => boolean;
  /** Something changed: save the state, think about the queue again. */
  changed: () => void;
  /** Counters moved: save the state soon (nothing to decide). */
  dirty: () => void;
  /** Labels the session's inspection events of the actors created inside `fn` with this torrent's hash. */
  labelActors: <T>(hash: string, fn: () => T) => T;
}

export class TorrentEntry {
  meta?: Metainfo;
  spans: FileSpan[] = [];
  /** Started with `start_now`: runs whatever the queue says. */
  forced = false;
  /** A stopped torrent being verified: it runs until its check is over, then stops again. */
  checkingWhileStopped = false;
  error = '';
  /** Unix seconds this run started (Transmission's `start_date`). */
  startDate = 0;
  readonly trackers = new TrackerBook();
  private phaseNow: EntryPhase = 'stopped';
  private handle?: TorrentHandle;
  private fetch?: MetadataFetchHandle;
  private events?: Subscription;
  /** Pieces verified, as last known (from the resume data, or the handle when it stopped). */
  private have: Uint8Array = new Uint8Array(0);
  /** The next start hashes everything again (torrent_verify). */
  private verifyNext = false;
  private ops: Promise<void> = Promise.resolve();
  private progressCache?: { key: string; value: ByteProgress };
  private readonly downLimiter: AdjustableLimiter;
  private readonly upLimiter: AdjustableLimiter;
  private lastActivityMs: number;
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

  get hash(): string {
    return this.saved.hash;
  }

  get phase(): EntryPhase {
    const handle = this.handle;
    if (!handle) return this.phaseNow;
    const state = handle.state;
    if (state === 'checking' || state === 'downloading' || state === 'seeding' || state === 'failed') return state;
    return this.phaseNow;
  }

  /** Running or about to: it holds a queue slot. */
  get running(): boolean {
    return this.handle !== undefined || this.fetch !== undefined;
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

  pieceStates(): { state: PieceState; wanted: boolean }[] | undefined {
    return this.handle?.pieces();
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

  /** Milliseconds since data last moved (for the idle seeding limit). */
  idleMs(): number {
    const r = this.rates();
    if (r.down > 0 || r.up > 0) this.lastActivityMs = this.context.clock.now();
    return this.context.clock.now() - this.lastActivityMs;
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

  setQueued(queued: boolean): void {
    if (this.running) return;
    this.phaseNow = queued ? 'queued' : 'stopped';
  }

  /** Applies the saved per-torrent limits to the running torrent at once. */
  applyLimits(): void {
    this.downLimiter.setRate(this.saved.download_limited ? this.saved.download_limit * SPEED_UNIT_BYTES : undefined);
    this.upLimiter.setRate(this.saved.upload_limited ? this.saved.upload_limit * SPEED_UNIT_BYTES : undefined);
  }

  start(): Promise<void> {
    return this.serially(() => this.run());
  }

  stop(): Promise<void> {
    this.interruptFetch();
    return this.serially(async () => {
      await this.halt();
      this.phaseNow = 'stopped';
    });
  }

  /** Hashes every piece again; a stopped torrent is checked and stays stopped. */
  verify(): Promise<void> {
    this.interruptFetch();
    return this.serially(async () => {
      const wasRunning = this.running;
      await this.halt();
      if (!this.meta) return; // a magnet without metadata has nothing to verify
      this.verifyNext = true;
      this.checkingWhileStopped = !wasRunning;
      await this.run({ stopAfterCheck: !wasRunning });
    });
  }

  /** Stops it if it runs, does `change`, and starts it again if it ran (files wanted, location, names). */
  restartAround(change: () => Promise<void> | void): Promise<void> {
    this.interruptFetch();
    return this.serially(async () => {
      const wasRunning = this.running;
      await this.halt();
      await change();
      if (wasRunning) await this.run();
      else this.phaseNow = this.saved.stopped ? 'stopped' : this.phaseNow;
    });
  }

  /** Stops for good (torrent_remove, daemon shutdown). */
  close(): Promise<void> {
    this.interruptFetch();
    return this.serially(() => this.halt());
  }

  /** A metadata fetch waits for peers indefinitely: it is stopped at once, not after the operations queued before. */
  private interruptFetch(): void {
    void this.fetch?.stop();
  }

  private serially(op: () => Promise<void>): Promise<void> {
    const next = this.ops.then(op).catch((err: unknown) => {
      this.error = messageOf(err);
      this.phaseNow = 'failed';
    });
    this.ops = next;
    return next;
  }

  private async run(options: { stopAfterCheck?: boolean } = {}): Promise<void> {
    if (this.running) return;
    // A start queued before the user stopped it: the stop wins.
    if (this.saved.stopped && !options.stopAfterCheck) return;
    this.error = '';
    this.startDate = Math.floor(this.context.clock.now() / 1000);
    if (!this.meta) {
      if (!(await this.fetchMetadata())) return;
    }
    const meta = this.meta!;
    const { session, store } = this.context;
    const resumeFile = store.resumeFile(this.hash);
    let trustedHave: Uint8Array | undefined;
    let knownHave: Uint8Array | undefined;
    if (!this.verifyNext) {
      const verdict = await session.readResume(meta, this.saved.download_dir, resumeFile);
      if (verdict.trusted) trustedHave = verdict.have;
      else knownHave = verdict.known;
    }
    this.verifyNext = false;
    this.phaseNow = 'checking';
    const handle = this.context.labelActors(this.hash, () =>
      session.add(meta, {
        downloadDir: this.saved.download_dir,
        seed: true,
        trustedHave,
        knownHave,
        wanted: wantedPieces(meta, this.spans, this.saved.wanted),
        maxPeers: this.saved.peer_limit,
        uploadLimiter: this.upLimiter,
        downloadLimiter: this.downLimiter,
        pex: this.context.pexEnabled(),
        saveResume: true,
        resumeFile,
      }),
    );
    this.handle = handle;
    const peers = [...(this.magnet?.peers ?? []), ...this.metadataPeers];
    if (peers.length > 0) handle.addPeers(peers, 'magnet');
    this.runStartedMs = this.context.clock.now();
    this.lastActivityMs = this.runStartedMs;
    this.events = handle.events$.subscribe((event) => this.onEvent(event, options));
    this.context.changed();
  }

  private async fetchMetadata(): Promise<boolean> {
    const magnet = this.magnet!;
    this.phaseNow = 'metadata';
    const fetch = this.context.labelActors(this.hash, () =>
      this.context.session.fetchMetadata(magnet.infoHash, { trackers: magnet.trackers, peers: magnet.peers }),
    );
    this.fetch = fetch;
    try {
      const fetched = await fetch.whenFetched();
      this.metadataPeers = fetched.peers;
      await this.context.store.saveTorrentFile(this.hash, fetched.torrentFile);
      this.setMeta(parseTorrent(fetched.torrentFile));
      this.saved.magnet = undefined;
      this.context.changed();
      return true;
    } catch {
      return false; // stopped before the metadata came
    } finally {
      this.fetch = undefined;
    }
  }

  private onEvent(event: TorrentSessionEvent, options: { stopAfterCheck?: boolean }): void {
    const now = this.context.clock.now();
    switch (event.type) {
      case 'checked':
        if (options.stopAfterCheck) void this.stop().then(() => (this.checkingWhileStopped = false));
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
        break;
      case 'failed':
        this.error = event.message;
        break;
      case 'tracker':
        this.trackers.record(event.event, Math.floor(now / 1000));
        return this.context.dirty();
      default:
        return;
    }
    // A verified piece only moves counters; checks, completion and failures may change the queue.
    if (event.type === 'piece-verified' || event.type === 'piece-failed') this.context.dirty();
    else this.context.changed();
  }

  /** Stops whatever runs; folds this run's counters into the saved ones. */
  private async halt(): Promise<void> {
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
    if (handle.state === 'failed') this.error ||= 'the torrent failed';
    this.handle = undefined;
    this.progressCache = undefined;
    this.phaseNow = this.error ? 'failed' : 'stopped';
    this.context.changed();
  }
}
