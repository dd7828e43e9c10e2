import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Resolved here, so the CLI can run from any working folder.
const tsx = import.meta.resolve('tsx');
const cliArgv = (args: string[]) => ['--import', tsx, main, ...args];

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the actorrent CLI from source, bounded by a timeout. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, cliArgv(args), {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export type CliEvent = Record<string, unknown> & { event: string };

export interface CliExit extends CliResult {
  signal: NodeJS.Signals | null;
}

/** A CLI process running in the background (download, seed); see startCli. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The stdout lines so far, parsed as JSON (for `--json`); a line that is not JSON throws. */
  events(): CliEvent[];
  /** The first JSON event on stdout that matches; rejects if the process exits first or after `timeoutMs`. */
  waitForEvent(match: (event: CliEvent) => boolean, timeoutMs?: number): Promise<CliEvent>;
  /** Settles when the process has exited. */
  readonly exited: Promise<CliExit>;
  /** The exit, or a rejection if it takes longer than `ms`. */
  exitWithin(ms: number): Promise<CliExit>;
  /** SIGKILL if still running: for `finally`. */
  kill(): void;
}

/** Starts the actorrent CLI from source without waiting for it; SIGKILLed after `timeoutMs`. */
export function startCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CliProcess {
  const child = spawn(process.execPath, cliArgv(args), { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (running()) child.kill('SIGKILL');
  };
  const deadline = setTimeout(kill, options.timeoutMs ?? 60_000);
  const exited = new Promise<CliExit>((resolve) => {
    // 'close' comes after the pipes are drained, so the output is complete.
    child.once('close', (status, signal) => {
      closed = true;
      clearTimeout(deadline);
      changes.emit('changed');
      resolve({ status, signal, stdout, stderr });
    });
  });
  const events = () =>
    stdout
      .split('\n')
      .slice(0, -1) // the last piece is an unfinished line, or empty
      .map((line) => {
        try {
          return JSON.parse(line) as CliEvent;
        } catch {
          throw new Error(`stdout line is not JSON: ${JSON.stringify(line)}`);
        }
      });

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    events,
    exited,
    kill,
    waitForEvent(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          let found: CliEvent | undefined;
          try {
            found = events().find(match);
          } catch (err) {
            return finish(() => reject(err));
          }
          if (found) return finish(() => resolve(found));
          if (closed) {
            finish(() => reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before the event; stderr: ${stderr}`)));
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no matching event within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`))),
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
          timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; stderr: ${stderr}`)), ms);
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}
