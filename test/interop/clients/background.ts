import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { settleWithin, watchChildOutput } from '../../support/child-output.js';

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
  const output = watchChildOutput<JsonEvent>(child, command, (line) => {
    try {
      const value = JSON.parse(line) as unknown;
      return value && typeof value === 'object' && 'event' in value ? [value as JsonEvent] : [];
    } catch {
      return [];
    }
  });
  const exited = output.closed.then(({ code }) => code);
  const running = () => child.exitCode === null && child.signalCode === null && !output.isClosed();

  return {
    child,
    stdout: output.stdout,
    stderr: output.stderr,
    events: output.events,
    exited,
    waitForEvent: output.waitForEvent,
    exitWithin: (ms) => settleWithin(exited, ms, () => `${command} still running after ${ms} ms; stderr: ${output.stderr()}`),
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
