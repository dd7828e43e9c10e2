/**
 * Every decoder in src/protocol reports bad input with a subclass of ProtocolError: callers catch
 * this one type and treat anything else as a bug. `code` is stable and machine-readable; `message`
 * is one line for humans.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
