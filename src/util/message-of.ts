/** The message of a thrown value, for one line of output: anything can be thrown, not only Errors. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
