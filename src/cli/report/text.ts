import type { MetadataFetchEmitted } from '../../actors/metadata-fetch.js';
import type { MetadataFetchProgress, TorrentProgress, TorrentSessionEvent } from '../../session.js';
import { formatBytes } from '../units.js';
import { LiveLines, type TtyStream, bar, formatEta } from './live-lines.js';
import type { Reporter, ResumeInfo, StartedInfo, TransferStats } from './reporter.js';

type TextStream = TtyStream;

export interface TextReporterOptions {
  /** Only problems (stderr); no progress, no status lines. */
  quiet?: boolean;
  /** Also peers connecting and leaving, tracker answers, and why resume data was not used. */
  verbose?: boolean;
}

/**
 * Plain lines for people. Off a terminal (logs, pipes) a progress line every 2 s and no escape
 * codes; on a terminal live bars redrawn in place twice a second: the download (bar, percent,
 * pieces, rate, ETA, peers) and the upload (rate, total, ratio). Problems go to stderr, one line each.
 */
export class TextReporter implements Reporter {
  readonly progressIntervalMs: number;
  /** The bars, on a terminal only. */
  private readonly live?: LiveLines;
  private mode: StartedInfo['mode'] = 'download';
  private name = '';
  /** Bytes per piece on average, for the ETA. */
  private pieceBytes = 0;

  constructor(
    private readonly out: TextStream = process.stdout,
    private readonly err: TextStream = process.stderr,
    private readonly options: TextReporterOptions = {},
  ) {
    if (out.isTTY === true) this.live = new LiveLines(out);
    this.progressIntervalMs = this.live ? 500 : 2000;
  }

  checking(dataPath: string): void {
    this.line(`checking ${dataPath}`);
  }

  resume(info: ResumeInfo): void {
    if (info.resumed) this.line('resuming from saved state (files unchanged: no hash check)');
    else if (this.options.verbose) this.line(`resume data not used: ${info.reason}`);
  }

  warning(message: string): void {
    this.problem(message);
  }

  fetchingMetadata(info: { infoHash: string; name?: string; port: number }): void {
    this.line(`fetching metadata of ${info.name ? `${info.name} (${info.infoHash})` : info.infoHash} from peers; listening on port ${info.port}`);
  }

  metadataProgress(p: MetadataFetchProgress): void {
    if (this.options.quiet) return;
    const peers = `${p.peers} peer${p.peers === 1 ? '' : 's'}, ${p.offering} offering it`;
    const text = p.total === 0 ? `fetching metadata: ${peers}` : `fetching metadata: ${p.received}/${p.total} pieces, ${peers}`;
    if (!this.live) return this.line(text);
    this.live.render([text]);
  }

  metadataEvent(e: MetadataFetchEmitted): void {
    if (e.type === 'metadata-peer-dropped') this.problem(`peer ${e.address} dropped: ${e.reason}`);
    else if (e.type === 'metadata-fetched') this.line(`metadata verified (${formatBytes(e.size)})`);
    else if (e.type === 'tracker' || e.type === 'peer-connected' || e.type === 'peer-closed') this.event(e);
  }

  torrentSaved(file: string): void {
    this.line(`saved the torrent to ${file}`);
  }

  started(info: StartedInfo): void {
    this.mode = info.mode;
    this.name = info.name;
    this.pieceBytes = info.pieces === 0 ? 0 : info.length / info.pieces;
    const what = `${info.name} (${formatBytes(info.length)}, ${info.pieces} piece${info.pieces === 1 ? '' : 's'})`;
    const where = info.mode === 'download' ? `into ${info.dataPath}` : `from ${info.dataPath}`;
    this.line(`${info.mode === 'download' ? 'downloading' : 'seeding'} ${what} ${where}; listening on port ${info.port}`);
    if (info.selected) this.line(`selected ${info.selected.length} file${info.selected.length === 1 ? '' : 's'}: ${info.selected.join(', ')}`);
  }

  event(e: TorrentSessionEvent): void {
    if (e.type === 'warning') return this.warning(e.message);
    if (e.type === 'tracker') {
      const t = e.event;
      if (t.type === 'announce-failed') this.problem(t.error.startsWith('tracker ') ? t.error : `tracker ${t.url}: ${t.error}`);
      else if (t.type === 'warning') this.problem(`tracker ${t.url} warns: ${t.message}`);
      else if (t.type === 'announce-ok' && this.options.verbose) this.line(`tracker ${t.url}: ${t.event ?? 'announce'} ok`);
      return;
    }
    if (this.options.verbose && e.type === 'peer-connected') {
      const from = e.direction === 'outgoing' ? `, from ${e.source}` : '';
      this.line(`peer ${e.address} connected (${e.direction}${from}${e.transport ? `, ${e.transport}` : ''}${e.client ? `, ${e.client}` : ''})`);
    }
    if (this.options.verbose && e.type === 'peer-closed') this.line(`peer ${e.address} closed: ${e.reason}`);
    if (e.type === 'checked' && this.mode === 'download' && e.have > 0) this.line(`found ${e.have} of ${e.total} pieces already on disk`);
    if (e.type === 'piece-failed') this.problem(`piece ${e.index} failed its hash check; fetching it again`);
    if (e.type === 'peer-banned') this.problem(`peer ${e.address} ${e.reason}`);
  }

  connection(e: { type: 'rejected' | 'evicted'; address: string; reason: string }): void {
    if (this.options.verbose) this.line(`incoming ${e.address} ${e.type}: ${e.reason}`);
  }

  progress(p: TorrentProgress): void {
    if (this.options.quiet) return;
    const pieces = `${p.have}/${p.total} pieces`;
    const peers = `${p.peers} peer${p.peers === 1 ? '' : 's'}`;
    const text =
      p.state === 'seeding'
        ? `seeding  ${pieces}  up ${rate(p.uploadRate)}  ${peers}  uploaded ${formatBytes(p.uploaded)}`
        : `${percent(p.have, p.total).padStart(6)}  ${pieces}  down ${rate(p.downloadRate)}  up ${rate(p.uploadRate)}  ${peers}`;
    if (!this.live) return this.line(text);
    this.live.render(this.bars(p));
  }

  /** The download bar (or the seeding state) and the upload line. */
  private bars(p: TorrentProgress): string[] {
    const fraction = p.total === 0 ? 1 : p.have / p.total;
    const peers = `${p.peers} peer${p.peers === 1 ? '' : 's'}`;
    const eta = p.downloadRate > 0 ? formatEta(((p.total - p.have) * this.pieceBytes) / p.downloadRate) : '--:--';
    const ratio = p.downloaded > 0 ? `  ratio ${(p.uploaded / p.downloaded).toFixed(2)}` : '';
    const name = this.name.length > 24 ? `${this.name.slice(0, 23)}…` : this.name;
    const first =
      p.state === 'seeding'
        ? `${name} ${bar(1)} 100.0% ${p.state}, ${peers}`
        : `${name} ${bar(fraction)} ${percent(p.have, p.total).padStart(6)} ${p.have}/${p.total} down ${rate(p.downloadRate)} ETA ${eta} ${peers}`;
    return [first, `upload   up ${rate(p.uploadRate)}, sent ${formatBytes(p.uploaded)}${ratio}`];
  }

  complete(stats: TransferStats & { seconds: number }): void {
    this.live?.done(); // the final bars stay on screen, the summary goes below them
    if (stats.downloaded === 0) return this.line('complete: every piece was already on disk');
    const average = stats.seconds > 0 ? `, ${rate(stats.downloaded / stats.seconds)}` : '';
    this.line(`complete: downloaded ${formatBytes(stats.downloaded)} in ${stats.seconds.toFixed(1)} s${average}`);
  }

  seeding(): void {
    this.line('seeding until interrupted (Ctrl-C to stop)');
  }

  stopped(info: TransferStats & { signal: string }): void {
    this.live?.done();
    this.line(`stopped by ${info.signal}: downloaded ${formatBytes(info.downloaded)}, uploaded ${formatBytes(info.uploaded)}`);
  }

  error(): void {
    // main.ts prints the message on stderr; only move off the status line first.
    this.endStatus();
  }

  private line(text: string): void {
    if (this.options.quiet) return;
    this.endStatus();
    this.out.write(`${text}\n`);
  }

  private problem(text: string): void {
    this.endStatus();
    this.err.write(`actorrent: ${text}\n`);
  }

  private endStatus(): void {
    this.live?.clear();
  }
}

function rate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

function percent(have: number, total: number): string {
  return `${total === 0 ? '100.0' : ((100 * have) / total).toFixed(1)}%`;
}
