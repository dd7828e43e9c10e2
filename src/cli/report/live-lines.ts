/**
 * A block of status lines at the bottom of a terminal, redrawn in place with ANSI cursor movement
 * (no dependency): `render` replaces the block, `log` prints a line above it, `done` leaves it.
 * Lines are cut to the terminal's width so one never wraps (a wrapped line would break the count
 * of lines to move up).
 */
export interface TtyStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

export class LiveLines {
  /** How many lines of the block are on screen; the cursor is on the line below them. */
  private shown = 0;

  constructor(private readonly out: TtyStream) {}

  render(lines: string[]): void {
    const width = Math.max(20, (this.out.columns || 80) - 1);
    let text = this.shown > 0 ? `\x1b[${this.shown}A` : '';
    for (const line of lines) text += `\r${line.length > width ? line.slice(0, width) : line}\x1b[K\n`;
    // The block shrank: clear what was below it.
    if (lines.length < this.shown) text += '\x1b[J';
    this.out.write(text);
    this.shown = lines.length;
  }

  /** Prints `text` above the block; the block is drawn again by the next render. */
  log(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  /** Removes the block from the screen. */
  clear(): void {
    if (this.shown === 0) return;
    this.out.write(`\x1b[${this.shown}A\r\x1b[J`);
    this.shown = 0;
  }

  /** Leaves the block as it is on screen; later output goes below it. */
  done(): void {
    this.shown = 0;
  }
}

/** `[#######-------------]` for a fraction from 0 to 1. */
export function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** `1:02:03` or `2:03`; `--:--` when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 100 * 3600) return '--:--';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
