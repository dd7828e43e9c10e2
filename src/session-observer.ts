import type { InspectionEvent } from 'xstate';
import type { Session, SessionOptions, TorrentHandle } from './session.js';

/**
 * What watches a running session from the outside: the trace file (`--trace`), the Stately
 * inspector (`--inspect`) and the dashboard (`--ui`). Each sees every session of the command
 * (`demo` runs several, told apart by their label), and none of them may keep the process alive.
 */
export interface SessionObserver {
  inspect?(label: string, event: InspectionEvent): void;
  wireTap?(label: string, ...peer: Parameters<NonNullable<SessionOptions['wireTap']>>): ReturnType<NonNullable<SessionOptions['wireTap']>>;
  /** A session is listening and a torrent was added to it. */
  torrentAdded?(label: string, session: Session, handle: TorrentHandle): void;
  /** Flushes and releases everything (files, servers, sockets). */
  close(): Promise<void>;
}

/**
 * An observer that cannot start (its trace file cannot be written, its port is taken), in a sentence
 * a user can act on. The CLI reports it as one of its own failures.
 */
export class ObserverError extends Error {
  override name = 'ObserverError';
}
