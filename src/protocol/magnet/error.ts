import { ProtocolError } from '../errors.js';

export type MagnetErrorCode =
  | 'not-a-magnet'
  | 'too-long'
  | 'missing-info-hash'
  | 'v2-unsupported'
  | 'invalid-info-hash'
  | 'conflicting-info-hash'
  | 'invalid-escape'
  | 'invalid-utf8'
  | 'invalid-peer'
  | 'invalid-select-only';

/** A magnet link we refuse, with a one-line message naming the problem. */
export class MagnetError extends ProtocolError {
  constructor(
    override readonly code: MagnetErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** A short, single-line rendering of untrusted text for error messages. */
export function quote(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
