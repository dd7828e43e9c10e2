/**
 * A failure while a command runs (a port in use, data missing, a disk error), as opposed to a
 * mistake in the invocation (UsageError). main.ts prints its message as one line and exits 1.
 */
export class CliError extends Error {}
