// Child processes of the bench. Every one runs under coreutils `timeout` (so none outlives its
// budget even if the bench dies), in a process group of its own, and is stopped by its PID; the
// programs print one JSON object per line, which `waitFor` reads.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface JsonEvent {
  event: string;
  /** performance.now() when the bench read the line (stdout to a pipe is synchronous in node and python flushes each line). */
  receivedAt: number;
  [key: string]: unknown;
}

export interface StartOptions {
  /** A name for messages. */
  label: string;
  /** Hard limit: `timeout` sends SIGTERM then, SIGKILL 3 s later. */
  seconds: number;
  /** Pin the program to this CPU (taskset): "one core" cases. */
  cpu?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Proc {
  readonly label: string;
  readonly child: ChildProcess;
  /** Resolves at exit with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** The first line `{"event": name}` (already printed or to come); rejects on exit or after `ms`. */
  waitFor(name: string, ms: number): Promise<JsonEvent>;
  /** The program's peak RSS (VmHWM) in MiB as last sampled: the program, not `timeout`. */
  peakRssMiB(): number;
  /** The last lines of stderr, for error messages. */
  stderrTail(): string;
  stop(): Promise<void>;
}

const running = new Set<Proc>();
const SAMPLE_MS = 100;

export function start(command: string[], options: StartOptions): Proc {
  const pinned = options.cpu === undefined ? [] : ['taskset', '-c', String(options.cpu)];
  // detached: a process group of its own, so a last-resort SIGKILL reaches timeout's child too.
  const child = spawn('timeout', ['-k', '3', String(Math.ceil(options.seconds)), ...pinned, ...command], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: JsonEvent[] = [];
  const listeners = new Set<() => void>();
  const stderr: string[] = [];
  let peakKiB = 0;
  let programPid: number | undefined;
  let exitCode: number | null | undefined;

  const sample = () => {
    programPid ??= childOf(child.pid);
    if (programPid !== undefined) peakKiB = Math.max(peakKiB, vmHwmKiB(programPid));
  };
  const timer = setInterval(sample, SAMPLE_MS);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    sample(); // a `complete` line: the peak up to that moment, before the process exits
    if (!line.startsWith('{')) return;
    try {
      events.push({ ...(JSON.parse(line) as JsonEvent), receivedAt: performance.now() });
    } catch {
      return;
    }
    for (const l of listeners) l();
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 20) stderr.shift();
  });
  const exited = new Promise<number | null>((resolve) => {
    // 'close', not 'exit': every line the program printed has been read by then.
    child.once('close', (code) => {
      clearInterval(timer);
      exitCode = code;
      running.delete(proc);
      for (const l of listeners) l();
      resolve(code);
    });
    child.once('error', () => resolve(null));
  });

  const proc: Proc = {
    label: options.label,
    child,
    exited,
    waitFor(name, ms) {
      return new Promise<JsonEvent>((resolve, reject) => {
        const deadline = setTimeout(() => done(new Error(`${options.label}: no "${name}" within ${(ms / 1000).toFixed(0)} s${tail()}`)), ms);
        const check = () => {
          const found = events.find((e) => e.event === name);
          if (found) return done(undefined, found);
          const failure = events.find((e) => e.event === 'error');
          if (failure) return done(new Error(`${options.label}: ${JSON.stringify(failure)}`));
          if (exitCode !== undefined) done(new Error(`${options.label} exited (${exitCode}) before "${name}"${tail()}`));
        };
        const done = (err?: Error, event?: JsonEvent) => {
          clearTimeout(deadline);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(event!);
        };
        listeners.add(check);
        check();
      });
    },
    peakRssMiB: () => peakKiB / 1024,
    stderrTail: () => stderr.join('\n'),
    async stop() {
      if (exitCode !== undefined || child.pid === undefined) return;
      sample();
      // timeout passes SIGTERM on to the program; SIGKILL the group if it does not end.
      kill(child.pid, 'SIGTERM');
      const ended = await Promise.race([exited.then(() => true), sleep(4000).then(() => false)]);
      if (!ended) kill(-child.pid, 'SIGKILL');
      await exited;
    },
  };
  const tail = () => (stderr.length ? `; stderr: ${stderr.slice(-5).join(' | ')}` : '');
  running.add(proc);
  return proc;
}

/** Stops every child still running (at the end, or when the bench is interrupted). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Runs a command to its end under `timeout`; resolves with its exit code and output. */
export async function run(command: string[], options: StartOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = start(command, options);
  const out: string[] = [];
  proc.child.stdout!.on('data', (c: Buffer) => out.push(c.toString('utf8')));
  const code = await proc.exited;
  return { code, stdout: out.join(''), stderr: proc.stderrTail() };
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** timeout's one child: the program whose memory we want. */
function childOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

function vmHwmKiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // exited
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
