import { type Hasher, workerHasher } from '../env/hasher.js';

/**
 * The hashing threads of a `seed` run, started before the command's modules load:
 * a thread takes tens of milliseconds to boot, which it spends on the other core while this one
 * loads the session, rather than at the start of the check of the data on disk. Kept out of the
 * bundled entry point (see scripts/bundle-cli.mjs) so the entry point and run-torrent share it.
 */
let early: Hasher | undefined;

export function startHashingThreadsEarly(): void {
  early ??= workerHasher(undefined, { startNow: true });
}

/** The threads started early, or new ones started at their first job: the caller owns them and closes them. */
export function takeHashingThreads(): Hasher {
  const hasher = early ?? workerHasher();
  early = undefined;
  return hasher;
}
