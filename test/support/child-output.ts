import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

/**
 * What a child process has printed, for tests that wait on it: its stdout parsed into events line
 * by line, its stderr, and a promise of its end. Shared by the actorrent CLI runner and the runner
 * of real clients in the background.
 */
export interface ChildOutput<E> {
  stdout(): string;
  stderr(): string;
  /** The complete stdout lines so far, parsed (a parser may skip lines or throw on them). */
  events(): E[];
  /** True once the process has closed (or failed to start). */
  isClosed(): boolean;
  /** Settles when the process has closed and its output is complete; code null if it never started. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first event that matches; rejects if the process closes first, or after `timeoutMs`. */
  waitForEvent(match: (event: E) => boolean, timeoutMs?: number): Promise<E>;
}

export function watchChildOutput<E>(child: ChildProcess, label: string, parseLine: (line: string) => E[]): ChildOutput<E> {
  let stdout = '';
  let stderr = '';
  let closed = false;
  // 'changed' after each stdout chunk and once at the end, for waitForEvent.
  const changes = new EventEmitter();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    changes.emit('changed');
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (closed) return;
      closed = true;
      changes.emit('changed');
      resolve({ code, signal });
    };
    child.once('error', (err) => {
      stderr += String(err);
      end(null, null);
    });
    // 'close' comes after the pipes are drained, so the output is complete.
    child.once('close', (code, signal) => end(code, signal));
  });
  const events = () =>
    stdout
      .split('\n')
      .slice(0, -1) // the last piece is an unfinished line, or empty
      .flatMap(parseLine);

  return {
    stdout: () => stdout,
    stderr: () => stderr,
    events,
    isClosed: () => closed,
    closed: closedPromise,
    waitForEvent(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          let found: E | undefined;
          try {
            found = events().find(match);
          } catch (err) {
            return finish(() => reject(err));
          }
          if (found) return finish(() => resolve(found));
          if (closed) {
            finish(() => reject(new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before the event; stdout: ${stdout}; stderr: ${stderr}`)));
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${label}: no matching event within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          changes.off('changed', check);
          settle();
        };
        changes.on('changed', check);
        check();
      });
    },
  };
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export function settleWithin<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
