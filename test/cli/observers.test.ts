import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CliError } from '../../src/cli/errors.js';
import { asCliError, startObservers } from '../../src/cli/observers.js';
import { ObserverError } from '../../src/session-observer.js';

test('an observer that cannot start fails the command as a CliError with its own message', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-observers-'));
  try {
    const file = path.join(dir, 'no', 'such', 'dir', 'x.trace');
    await assert.rejects(startObservers({ trace: file }, { command: 'download', argv: [] }), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.match(err.message, /^cannot write the trace .*x\.trace: /);
      assert.ok(err.cause instanceof ObserverError);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('asCliError converts only observer failures', () => {
  const converted = asCliError(new ObserverError('port 1 is already in use'));
  assert.ok(converted instanceof CliError);
  assert.equal(converted.message, 'port 1 is already in use');
  const bug = new TypeError('x is undefined');
  assert.equal(asCliError(bug), bug);
});
