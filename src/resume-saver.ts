import type { Clock } from './env/clock.js';
import type { Metainfo } from './protocol/metainfo/index.js';
import { writeResume } from './storage/resume-file.js';
import { messageOf } from './util/message-of.js';

/**
 * Saves one torrent's resume data (`DIR/.actorrent/<infohash>.resume`) while it runs: a few seconds
 * after pieces verify and once it completes, so a crash (SIGKILL, power loss) loses little, and a
 * last time when it stops. Only pieces whose write completed are claimed (a piece counts as had
 * once written) and the files are flushed before they are stat'ed. Nothing is saved before the
 * initial check says what we have.
 */
export interface ResumeSaverOptions {
  meta: Metainfo;
  downloadDir: string;
  /** Where the resume data goes; default `downloadDir/.actorrent/<infohash>.resume` (the daemon keeps it in its state folder). */
  file?: string;
  clock: Clock;
  /** The pieces we have now. */
  have: () => Uint8Array;
  /** Flushes the torrent's files to stable storage. */
  flush: () => Promise<void>;
  /** A save failed (reported once while running, and for the final save). */
  onError: (message: string) => void;
  intervalMs?: number;
}

export class ResumeSaver {
  private checked = false;
  private timer: unknown;
  private saving: Promise<void> = Promise.resolve();
  private stopping = false;
  private warned = false;

  constructor(private readonly options: ResumeSaverOptions) {}

  /** The initial check is over: from now on what we have is worth saving. */
  checkedData(): void {
    this.checked = true;
  }

  /** A piece verified: save within the interval (pieces verified meanwhile ride along). */
  pieceVerified(): void {
    if (!this.checked || this.stopping || this.timer !== undefined) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.saveWhileRunning();
    }, this.options.intervalMs ?? 5000);
  }

  /** Complete: save now. */
  complete(): void {
    if (!this.checked || this.stopping) return;
    this.cancelTimer();
    this.saveWhileRunning();
  }

  /** The last save: call once the torrent's files are flushed and closed. */
  async final(): Promise<void> {
    this.stopping = true;
    this.cancelTimer();
    await this.saving; // a save under way must not land after this one
    if (!this.checked) return;
    await writeResume(this.options.downloadDir, this.options.meta, this.options.have(), this.options.file).catch((err: unknown) => {
      this.options.onError(`could not save resume data: ${messageOf(err)}`);
    });
  }

  private saveWhileRunning(): void {
    const have = Uint8Array.from(this.options.have());
    this.saving = this.saving
      .then(async () => {
        await this.options.flush();
        await writeResume(this.options.downloadDir, this.options.meta, have, this.options.file);
      })
      .catch((err: unknown) => {
        // Stopping closed the storage under us: the final save follows.
        if (this.stopping || this.warned) return;
        this.warned = true;
        this.options.onError(`could not save resume data: ${messageOf(err)}`);
      });
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
