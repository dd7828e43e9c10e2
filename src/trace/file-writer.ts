import { type FileHandle, open } from 'node:fs/promises';
import { messageOf } from '../util/message-of.js';

/**
 * Lines appended to a file without ever blocking the caller or losing order: lines gather in memory
 * and one write at a time drains them (a slow disk makes the buffer grow, it never reorders or drops
 * lines). close() writes what is left and closes the file. An error (disk full) is kept and
 * reported by close(); later lines are dropped rather than crashing the session they observe.
 */
export interface LineWriter {
  write(line: string): void;
  close(): Promise<void>;
}

const CHUNK_BYTES = 256 * 1024;

export async function openLineWriter(file: string): Promise<LineWriter> {
  const handle: FileHandle = await open(file, 'w');
  let pending: string[] = [];
  let pendingChars = 0;
  let writing: Promise<void> | undefined;
  let failure: unknown;
  let closed = false;

  const drain = async () => {
    while (pending.length > 0 && failure === undefined) {
      const text = pending.join('');
      pending = [];
      pendingChars = 0;
      try {
        await handle.write(text);
      } catch (err) {
        failure = err;
      }
    }
    writing = undefined;
  };
  const kick = () => {
    if (pending.length > 0) writing ??= drain();
  };
  // A quiet session (a seeder nobody asks) still gets its lines on disk within a second.
  const ticker = setInterval(kick, 1000);
  ticker.unref();

  return {
    write(line) {
      if (closed || failure !== undefined) return;
      pending.push(line, '\n');
      pendingChars += line.length + 1;
      if (pendingChars >= CHUNK_BYTES) kick();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      kick();
      while (writing) await writing;
      await handle.close();
      if (failure !== undefined) throw new Error(`could not write the trace ${file}: ${messageOf(failure)}`);
    },
  };
}
