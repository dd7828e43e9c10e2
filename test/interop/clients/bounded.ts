import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunResult {
  /** Exit code; 124 when `timeout` stopped it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program under coreutils `timeout` (TERM after `seconds`, KILL 2 s later), so it is bounded
 * even if this test process dies; node's own timeout is a second guard.
 */
export function runBounded(command: string, args: string[], seconds: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['-k', '2', String(seconds), command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: (seconds + 5) * 1000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
