import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openLineWriter } from '../../src/trace/file-writer.js';

test('lines are written in order, all of them by close(), whatever the pace of the writes', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'actorrent-line-writer-'));
  try {
    const file = path.join(dir, 'out.trace');
    const writer = await openLineWriter(file);
    const expected: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const line = JSON.stringify({ i, pad: 'x'.repeat(i % 50) });
      expected.push(line);
      writer.write(line);
      if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.close();
    writer.write('after close');
    assert.equal(readFileSync(file, 'utf8'), `${expected.join('\n')}\n`);
    await assert.rejects(openLineWriter(path.join(dir, 'missing', 'x.trace')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
