import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/**
 * Waiting for state that has no event of its own (a counter, a list filled by a listener, a file on
 * disk, another program's answer): the one polling helper of the tests. Where an event exists (an
 * RxJS stream, an actor's emitted event, a socket's 'close', a child's output line), wait on that
 * instead. Bounded by wall-clock time, so a system that never gets there fails the test with a
 * message naming what was awaited instead of hanging.
 */

export interface UntilOptions {
  /** What is awaited, for the failure message; a function is called at the failure (to add the state then). */
  what?: string | (() => string);
  /** Gives up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Between checks (default 10 ms); 0 checks on every turn of the event loop (for in-memory tests). */
  intervalMs?: number;
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolves as soon as `condition()` returns (or resolves to) a truthy value, with that value; rejects
 * naming `what` once `timeoutMs` has passed without it (also when a check itself takes that long). A
 * check that throws fails the wait with its error.
 */
export async function until<T>(condition: () => T | Promise<T>, options: UntilOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 10_000, intervalMs = 10 } = options;
  const started = performance.now();
  const fail = () => {
    const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'the condition');
    return new Error(`${what}: not within ${timeoutMs} ms`);
  };
  for (;;) {
    const left = timeoutMs - (performance.now() - started);
    const value = await checkWithin(condition, Math.max(0, left), fail);
    if (value) return value as Truthy<T>;
    if (performance.now() - started >= timeoutMs) throw fail();
    await (intervalMs > 0 ? sleep(intervalMs) : nextTurn());
  }
}

/** One check; a slow asynchronous one is cut off at the deadline. */
async function checkWithin<T>(condition: () => T | Promise<T>, ms: number, fail: () => Error): Promise<T> {
  const value = condition();
  if (!(value instanceof Promise)) return value;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail()), ms);
  });
  value.catch(() => undefined); // if the deadline wins, a later rejection is not unhandled
  try {
    return await Promise.race([value, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
