import { ProtocolError } from '../errors.js';

export type ExtensionErrorCode =
  /** The payload is not valid bencode, or not the dictionary the extension expects. */
  | 'invalid-bencoding'
  | 'not-a-dict'
  /** A required field is missing or has the wrong type or range. */
  | 'invalid-field'
  /** ut_metadata: a piece that does not fit the announced size. */
  | 'invalid-piece'
  /** More entries than we are willing to read from one message. */
  | 'too-many-entries';

/** A BEP 10 extension message (handshake, ut_metadata, ut_pex) that cannot be used. */
export class ExtensionError extends ProtocolError {
  declare readonly code: ExtensionErrorCode;

  constructor(code: ExtensionErrorCode, message: string) {
    super(code, message);
  }
}
