import { messageOf } from '../util/message-of.js';

/**
 * Ctrl-C and SIGTERM for long-running commands: the first signal runs `stop` (announce `stopped`,
 * close peers, flush files) and exits 130 / 143; a second signal, or a stop that takes longer than
 * `deadlineMs`, exits at once with the same status. SIGPIPE is not a signal node delivers (it is
 * ignored); the caller raises it itself when stdout's reader goes away, to stop the same way (141).
 */
const EXIT_STATUS = { SIGINT: 130, SIGTERM: 143, SIGPIPE: 141 } as const;
const HANDLED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export type InterruptSignal = keyof typeof EXIT_STATUS;

export interface Interrupts {
  /** Stops as if `signal` had arrived. */
  interrupt(signal: InterruptSignal): void;
  /** Removes the signal handlers. */
  remove(): void;
}

export function onInterrupt(stop: (signal: InterruptSignal) => Promise<void>, deadlineMs = 6000): Interrupts {
  let stopping = false;
  const interrupt = (signal: InterruptSignal) => {
    const status = EXIT_STATUS[signal];
    if (stopping) process.exit(status);
    stopping = true;
    // Not unref'd: the process must not end before it exits with the signal's status.
    setTimeout(() => {
      process.stderr.write(`actorrent: did not stop within ${deadlineMs / 1000} s after ${signal}; exiting\n`);
      process.exit(status);
    }, deadlineMs);
    stop(signal)
      .catch((err: unknown) => process.stderr.write(`actorrent: while stopping: ${messageOf(err)}\n`))
      .finally(() => process.exit(status));
  };
  for (const signal of HANDLED) process.on(signal, interrupt);
  return {
    interrupt,
    remove: () => {
      for (const signal of HANDLED) process.off(signal, interrupt);
    },
  };
}
