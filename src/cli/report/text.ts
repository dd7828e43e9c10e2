import type { TorrentProgress, TorrentSessionEvent } from '../../session.js';
import { formatBytes } from '../units.js';
import type { Reporter, StartedInfo, TransferStats } from './reporter.js';

interface TextStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

/**
 * Plain lines for people. Off a terminal (logs, pipes) a progress line every 2 s and no escape
 * codes; on a terminal one status line redrawn in place. Problems go to stderr, one line each.
 */
export class TextReporter implements Reporter {
  readonly progressIntervalMs: number;
  private readonly tty: boolean;
  /** A status line is on screen and the cursor is at its end (TTY only). */
  private statusShown = false;
  private mode: StartedInfo['mode'] = 'download';

  constructor(
    private readonly out: TextStream = process.stdout,
    private readonly err: TextStream = process.stderr,
  ) {
    this.tty = out.isTTY === true;
    this.progressIntervalMs = this.tty ? 1000 : 2000;
  }

  checking(dataPath: string): void {
    this.line(`checking ${dataPath}`);
  }

  started(info: StartedInfo): void {
    this.mode = info.mode;
    const what = `${info.name} (${formatBytes(info.length)}, ${info.pieces} piece${info.pieces === 1 ? '' : 's'})`;
    const where = info.mode === 'download' ? `into ${info.dataPath}` : `from ${info.dataPath}`;
    this.line(`${info.mode === 'download' ? 'downloading' : 'seeding'} ${what} ${where}; listening on port ${info.port}`);
  }

  event(e: TorrentSessionEvent): void {
    if (e.type === 'tracker') {
      const t = e.event;
      if (t.type === 'announce-failed') this.problem(t.error.startsWith('tracker ') ? t.error : `tracker ${t.url}: ${t.error}`);
      else if (t.type === 'warning') this.problem(`tracker ${t.url} warns: ${t.message}`);
      return;
    }
    if (e.type === 'checked' && this.mode === 'download' && e.have > 0) this.line(`found ${e.have} of ${e.total} pieces already on disk`);
    if (e.type === 'piece-failed') this.problem(`piece ${e.index} failed its hash check; fetching it again`);
  }

  progress(p: TorrentProgress): void {
    const pieces = `${p.have}/${p.total} pieces`;
    const peers = `${p.peers} peer${p.peers === 1 ? '' : 's'}`;
    const text =
      p.state === 'seeding'
        ? `seeding  ${pieces}  up ${rate(p.uploadRate)}  ${peers}  uploaded ${formatBytes(p.uploaded)}`
        : `${percent(p.have, p.total).padStart(6)}  ${pieces}  down ${rate(p.downloadRate)}  up ${rate(p.uploadRate)}  ${peers}`;
    if (!this.tty) return this.line(text);
    this.out.write(`\r${text}\x1b[K`);
    this.statusShown = true;
  }

  complete(stats: TransferStats & { seconds: number }): void {
    if (stats.downloaded === 0) return this.line('complete: every piece was already on disk');
    const average = stats.seconds > 0 ? `, ${rate(stats.downloaded / stats.seconds)}` : '';
    this.line(`complete: downloaded ${formatBytes(stats.downloaded)} in ${stats.seconds.toFixed(1)} s${average}`);
  }

  seeding(): void {
    this.line('seeding until interrupted (Ctrl-C to stop)');
  }

  stopped(info: TransferStats & { signal: string }): void {
    this.line(`stopped by ${info.signal}: downloaded ${formatBytes(info.downloaded)}, uploaded ${formatBytes(info.uploaded)}`);
  }

  error(): void {
    // main.ts prints the message on stderr; only move off the status line first.
    this.endStatus();
  }

  private line(text: string): void {
    this.endStatus();
    this.out.write(`${text}\n`);
  }

  private problem(text: string): void {
    this.endStatus();
    this.err.write(`actorrent: ${text}\n`);
  }

  private endStatus(): void {
    if (!this.statusShown) return;
    this.out.write('\r\x1b[K');
    this.statusShown = false;
  }
}

function rate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

function percent(have: number, total: number): string {
  return `${total === 0 ? '100.0' : ((100 * have) / total).toFixed(1)}%`;
}
