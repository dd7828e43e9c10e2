import { ProtocolError } from '../errors.js';

export type KrpcErrorCode =
  /** Not one bencoded dictionary (strict bencode), or longer than MAX_KRPC_BYTES. */
  | 'invalid-bencode'
  | 'too-long'
  | 'not-a-dict'
  /** `t` missing, not a byte string, or too long. */
  | 'invalid-transaction-id'
  /** `y` is not `q`, `r` or `e`. */
  | 'invalid-type'
  | 'invalid-method'
  /** A required argument is missing or has the wrong type or size (node id, target, info_hash, port, token…). */
  | 'invalid-argument'
  /** A response's `r`, or a value in it (nodes, values, token, ip), is malformed. */
  | 'invalid-response'
  | 'invalid-error';

/**
 * A KRPC message that cannot be used. When the transaction id could be read, it is kept, so a query
 * can be answered with a KRPC error (203, protocol error) instead of silence.
 */
export class KrpcError extends ProtocolError {
  declare readonly code: KrpcErrorCode;

  constructor(
    code: KrpcErrorCode,
    message: string,
    /** The message's `t`, when it was readable. */
    readonly transactionId?: Buffer,
    /** True when the message was a query (then an error reply is due). */
    readonly wasQuery = false,
  ) {
    super(code, message);
  }
}

/** BEP 5 error codes. */
export const KRPC_ERROR = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
} as const;
