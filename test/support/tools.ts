import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * For tests that need a real program (mktorrent, aria2c, libtorrent …). Under CI=true a missing
 * program fails the test, naming the Debian package; elsewhere the test is skipped with that message.
 * Returns false when the test should stop.
 */
export function requireTool(t: TestContext, check: string[], debianPackage: string): boolean {
  const [command, ...args] = check;
  const found = spawnSync(command!, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
  if (found) return true;
  const message = `${command} is not installed (Debian package ${debianPackage}: apt-get install -y ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

export const PYTHON = '/usr/bin/python3';
export const hasLibtorrent = [PYTHON, '-c', 'import libtorrent'];
