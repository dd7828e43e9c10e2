import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { settleWithin, watchChildOutput } from './child-output.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** The CLI as `npm install` / `npm run build` ship it (bundled commands included). */
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));
// Resolved here, so the CLI can run from any working folder.
const tsx = import.meta.resolve('tsx');
const cliArgv = (args: string[], built = false) => (built ? [BUILT_CLI, ...args] : ['--import', tsx, main, ...args]);

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the actorrent CLI from source (or as built, with `built`), bounded by a timeout. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; built?: boolean } = {}): CliResult {
  const r = spawnSync(process.execPath, cliArgv(args, options.built), {
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

/** Starts the actorrent CLI from source (or as built, with `built`) without waiting for it; SIGKILLed after `timeoutMs`. */
export function startCli(args: string[], options: { cwd?: string; timeoutMs?: number; built?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, cliArgv(args, options.built), { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchChildOutput<CliEvent>(child, 'actorrent', (line) => {
    try {
      return [JSON.parse(line) as CliEvent];
    } catch {
      throw new Error(`stdout line is not JSON: ${JSON.stringify(line)}`);
    }
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (running()) child.kill('SIGKILL');
  };
  const deadline = setTimeout(kill, options.timeoutMs ?? 60_000);
  const exited = output.closed.then(({ code, signal }): CliExit => {
    clearTimeout(deadline);
    return { status: code, signal, stdout: output.stdout(), stderr: output.stderr() };
  });
  return {
    child,
    stdout: output.stdout,
    stderr: output.stderr,
    events: output.events,
    exited,
    kill,
    waitForEvent: output.waitForEvent,
    exitWithin: (ms) => settleWithin(exited, ms, () => `still running after ${ms} ms; stderr: ${output.stderr()}`),
  };
}
