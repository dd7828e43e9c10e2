import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export type JsonEvent = Record<string, unknown> & { event: string };

/** A real client running in the background under coreutils `timeout`; see startBackground. */
export interface BackgroundProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The stdout lines that are JSON objects with an `event` field (other lines are skipped). */
  events(): JsonEvent[];
  /** The first such event that matches; rejects if the process exits first or after `timeoutMs`. */
  waitForEvent(match: (event: JsonEvent) => boolean, timeoutMs?: number): Promise<JsonEvent>;
  /** Settles with the exit code (124 when `timeout` ended it) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** The exit code, or a rejection if it takes longer than `ms`. */
  exitWithin(ms: number): Promise<number | null>;
  /** SIGTERM (passed on by `timeout`), then SIGKILL to its process group if still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `command` under `timeout -k 2 SECONDS`, so it is bounded even if the test process dies.
 * It gets its own process group (led by `timeout`), which stop() kills as a last resort, so nothing
 * is left behind even when the program ignores SIGTERM.
 */
export function startBackground(command: string, args: string[], seconds: number): BackgroundProcess {
  const child = spawn('timeout', ['-k', '2', String(seconds), command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let closed = false;
  const changes = new EventEmitter();
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    changes.emit('changed');
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      stderr += String(err);
      closed = true;
      changes.emit('changed');
      resolve(null);
    });
    child.once('close', (code) => {
      closed = true;
      changes.emit('changed');
      resolve(code);
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null && !closed;

  const events = () =>
    stdout
      .split('\n')
      .slice(0, -1)
      .flatMap((line) => {
        try {
          const value = JSON.parse(line) as unknown;
          return value && typeof value === 'object' && 'event' in value ? [value as JsonEvent] : [];
        } catch {
          return [];
        }
      });

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    events,
    exited,
    waitForEvent(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events().find(match);
          if (found) return finish(() => resolve(found));
          if (closed) finish(() => reject(new Error(`${command} exited (${child.exitCode}) before the event; stdout: ${stdout}; stderr: ${stderr}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${command}: no matching event within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`))),
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
    exitWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${command} still running after ${ms} ms; stderr: ${stderr}`)), ms);
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async stop(graceMs = 3000) {
      if (!running() || child.pid === undefined) return;
      signal(child.pid, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!gone) {
        signal(-child.pid, 'SIGKILL'); // the whole group: `timeout` and the program
        await exited;
      }
    },
  };
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
