import { ProtocolError } from '../errors.js';

/** A datagram that is not a well-formed uTP (BEP 29, version 1) packet. */
export class UtpDecodeError extends ProtocolError {}
