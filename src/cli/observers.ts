import type { Session, SessionOptions, TorrentHandle } from '../session.js';
import { ObserverError, type SessionObserver } from '../session-observer.js';
import { CliError } from './errors.js';

export interface ObserveOptions {
  /** `--trace FILE`: JSON lines of everything that happens. */
  trace?: string;
  /** `--inspect`: connect to the Stately inspector. */
  inspect?: boolean;
  /** `--ui [PORT]`: serve the dashboard on loopback; 0 picks a free port. */
  ui?: number;
}

/** Fans one session's events out to every observer. */
export class Observers {
  constructor(private readonly list: readonly SessionObserver[]) {}

  get active(): boolean {
    return this.list.length > 0;
  }

  /** The Session options that feed the observers; empty when nothing observes (no per-message cost). */
  sessionOptions(label: string): Pick<SessionOptions, 'inspect' | 'wireTap'> {
    const inspectors = this.list.filter((o) => o.inspect);
    const tappers = this.list.filter((o) => o.wireTap);
    return {
      inspect: inspectors.length ? (event) => inspectors.forEach((o) => o.inspect!(label, event)) : undefined,
      wireTap: tappers.length
        ? (meta, peer) => {
            const taps = tappers.map((o) => o.wireTap!(label, meta, peer)).filter((t) => t !== undefined);
            if (taps.length === 0) return undefined;
            return taps.length === 1 ? taps[0] : (direction, message) => taps.forEach((tap) => tap(direction, message));
          }
        : undefined,
    };
  }

  torrentAdded(label: string, session: Session, handle: TorrentHandle): void {
    for (const o of this.list) o.torrentAdded?.(label, session, handle);
  }

  async close(): Promise<void> {
    await Promise.all(this.list.map((o) => o.close()));
  }
}

/**
 * Starts what the options ask for; each observer's code is loaded only when it is used. One that
 * cannot start closes those already started and fails the command (CliError: one line, exit 1).
 */
export async function startObservers(options: ObserveOptions, context: { command: string; argv: readonly string[] }): Promise<Observers> {
  const list: SessionObserver[] = [];
  try {
    if (options.trace) list.push(await (await import('../trace/cli-observer.js')).traceObserver(options.trace, context));
    if (options.inspect) list.push(await (await import('../inspect/stately.js')).startStatelyInspector());
    if (options.ui !== undefined) list.push(await (await import('../ui/dashboard.js')).startDashboard({ port: options.ui }));
  } catch (err) {
    await Promise.allSettled(list.map((o) => o.close()));
    throw asCliError(err);
  }
  return new Observers(list);
}

/** An observer's failure as the CLI reports its own; anything else as it is. */
export function asCliError(err: unknown): unknown {
  return err instanceof ObserverError ? new CliError(err.message, { cause: err }) : err;
}
