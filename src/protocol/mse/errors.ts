import { ProtocolError } from '../errors.js';

export type MseErrorCode =
  /** A Diffie-Hellman public value that is 0, 1, p-1 or not below p (it would give a guessable secret). */
  | 'bad-public-key'
  /** HASH('req1', S) (we are B) or ENCRYPT(VC) (we are A) not found where the spec bounds it. */
  | 'sync-not-found'
  /** HASH('req2', SKEY) names no torrent we serve. */
  | 'unknown-skey'
  /** The verification constant did not decrypt to eight zero bytes. */
  | 'bad-verification-constant'
  /** PadC or PadD longer than the 512 bytes the spec allows. */
  | 'padding-too-long'
  /** crypto_provide offers nothing our policy accepts. */
  | 'no-common-method'
  /** crypto_select is not exactly one of the methods we provided. */
  | 'bad-crypto-select';

/** A Message Stream Encryption handshake that cannot go on: the connection should be closed. */
export class MseError extends ProtocolError {
  declare readonly code: MseErrorCode;

  constructor(code: MseErrorCode, message: string) {
    super(code, message);
  }
}
