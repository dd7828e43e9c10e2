import { readFile, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `--watch DIR`: a .torrent dropped into the folder is added, then renamed `NAME.torrent.added`
 * (or `.invalid` when it is not a torrent) so it is never added twice, across restarts too. The
 * folder is polled: a file is taken once its size and mtime held still for one poll (a copy in
 * progress is not read half-written). Polling works on every file system, network mounts included.
 */
export interface WatchFolderOptions {
  dir: string;
  add: (bytes: Buffer, file: string) => Promise<void>;
  intervalMs?: number;
  onError?: (message: string) => void;
}

export class WatchFolder {
  private timer?: NodeJS.Timeout;
  private readonly seen = new Map<string, string>();
  private busy = false;

  constructor(private readonly options: WatchFolderOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 2000);
    this.timer.unref();
    void this.poll();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look at the folder (tests call it directly). */
  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const names = await readdir(this.options.dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.toLowerCase().endsWith('.torrent')) continue;
        const file = path.join(this.options.dir, name);
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) continue;
        const signature = `${info.size}:${info.mtimeMs}`;
        if (this.seen.get(file) !== signature) {
          this.seen.set(file, signature);
          continue; // taken on the next poll if it has not changed meanwhile
        }
        this.seen.delete(file);
        try {
          await this.options.add(await readFile(file), file);
          await rename(file, `${file}.added`);
        } catch (err) {
          this.options.onError?.(`${file}: ${err instanceof Error ? err.message : String(err)}`);
          await rename(file, `${file}.invalid`).catch(() => undefined);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
