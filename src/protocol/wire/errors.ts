import { ProtocolError } from '../errors.js';

export type WireErrorCode =
  /** A frame whose message id we do not speak (libtorrent also disconnects on these). */
  | 'unknown-message'
  /** A frame whose length does not fit its message id (e.g. a `have` that is not 5 bytes). */
  | 'invalid-length'
  /** A frame announcing more than the decoder's maximum message length. */
  | 'message-too-long'
  /** The first byte of a handshake is not 19. */
  | 'handshake-pstrlen'
  /** The protocol string is not "BitTorrent protocol". */
  | 'handshake-protocol'
  /** A handshake that is not exactly 68 bytes. */
  | 'handshake-length'
  /** A bitfield whose byte length does not match the torrent's piece count. */
  | 'bitfield-length'
  /** A bitfield with bits set past the last piece. */
  | 'bitfield-spare-bits';

/** Bad bytes on the peer wire: the connection should be closed. */
export class WireError extends ProtocolError {
  declare readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(code, message);
  }
}
