/**
 * Runs `runTracker` the way `actorrent tracker` does (main.ts prints a CliError or UsageError as one
 * line and exits 1), taking the options as one JSON argument. For tests, until main.ts registers the
 * command; afterwards `startCli(['tracker', …])` does the same.
 */
import { runTracker, type TrackerCommandOptions } from '../../src/cli/commands/tracker.js';

const options = JSON.parse(process.argv[2] ?? '{}') as TrackerCommandOptions;
try {
  await runTracker(options);
} catch (err) {
  process.stderr.write(`actorrent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
