import { ProtocolError } from '../errors.js';

export type TrackerErrorCode =
  // bencoded HTTP bodies
  | 'invalid-bencode'
  | 'not-a-dict'
  | 'missing-interval'
  | 'invalid-interval'
  | 'invalid-min-interval'
  | 'invalid-field'
  | 'invalid-files'
  // peer lists (compact and dictionary form)
  | 'invalid-peers'
  | 'invalid-peer'
  // URLs and query strings
  | 'invalid-url'
  | 'invalid-percent-encoding'
  | 'missing-parameter'
  | 'duplicate-parameter'
  | 'invalid-parameter'
  // UDP packets
  | 'truncated-packet'
  | 'invalid-length'
  | 'invalid-protocol-id'
  | 'unknown-action'
  | 'unexpected-action'
  | 'transaction-mismatch'
  | 'too-many-info-hashes'
  // values handed to an encoder that cannot be represented on the wire
  | 'invalid-argument';

/** Bad tracker input (or an unencodable value handed to an encoder). */
export class TrackerError extends ProtocolError {
  constructor(
    override readonly code: TrackerErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
