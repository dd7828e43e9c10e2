import { TrackerError, type TrackerErrorCode } from './errors.js';
import { MAX_INTERVAL } from './types.js';

/*
 * Checks on values handed to encoders: what cannot go on the wire is refused with a TrackerError
 * ('invalid-argument') instead of being truncated or wrapped by a Buffer write.
 */

export function checkHash(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== 20) {
    throw new TrackerError('invalid-argument', `${what} must be 20 bytes`);
  }
}

export function checkInteger(value: number, what: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TrackerError('invalid-argument', `${what} = ${value} is not an integer in ${min}..${max}`);
  }
}

/** Byte counts (uploaded, downloaded, left): JS numbers are exact up to 2^53 − 1 (8 PiB). */
export function checkAmount(value: number, what: string): void {
  checkInteger(value, what, 0, Number.MAX_SAFE_INTEGER);
}

export function checkPort(value: number, what = 'port'): void {
  checkInteger(value, what, 0, 65535);
}

export function checkInterval(value: number, what: string, code: TrackerErrorCode = 'invalid-argument'): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_INTERVAL) {
    throw new TrackerError(code, `${what} = ${value} is not a whole number of seconds in 1..${MAX_INTERVAL}`);
  }
}
