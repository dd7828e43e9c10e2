import { DH_GENERATOR, DH_KEY_BYTES, DH_PRIME, DH_PRIVATE_BYTES } from './constants.js';
import { MseError } from './errors.js';

/**
 * The Diffie-Hellman exchange of MSE over the 768-bit prime, with plain bigint arithmetic. The
 * private key comes from bytes the caller draws (crypto.randomBytes, or the simulator's seeded rng),
 * so the exchange is pure and reproducible.
 */

export interface DhKeyPair {
  privateKey: bigint;
  /** G^X mod P, 96 big-endian bytes: what we send. */
  publicKey: Buffer;
}

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    e >>= 1n;
    b = (b * b) % modulus;
  }
  return result;
}

export function bigintFromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

/** `value` as exactly `length` big-endian bytes (it must fit). */
export function bytesFromBigint(value: bigint, length = DH_KEY_BYTES): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

/** A key pair from 20 random bytes (160 bits, as the spec recommends). */
export function dhKeyPair(randomBytes: Uint8Array): DhKeyPair {
  if (randomBytes.length < 16) throw new RangeError(`a DH private key needs at least 16 random bytes, got ${randomBytes.length}`);
  // Never 0 or 1: an all-zero draw would give the public key 1.
  const privateKey = bigintFromBytes(randomBytes.subarray(0, DH_PRIVATE_BYTES)) | (1n << 8n);
  return { privateKey, publicKey: bytesFromBigint(modPow(DH_GENERATOR, privateKey, DH_PRIME)) };
}

/** Refuses public values that make the secret guessable: 0, 1, P-1 and anything not below P. */
export function checkPublicKey(publicKey: Uint8Array): bigint {
  const y = bigintFromBytes(publicKey);
  if (y <= 1n || y >= DH_PRIME - 1n) {
    throw new MseError('bad-public-key', `the peer's Diffie-Hellman public key is ${y <= 1n ? y.toString() : y === DH_PRIME - 1n ? 'P-1' : 'not below P'}`);
  }
  return y;
}

/** S = Y^X mod P, 96 bytes. Throws MseError for a bad public key. */
export function dhSecret(privateKey: bigint, remotePublicKey: Uint8Array): Buffer {
  const y = checkPublicKey(remotePublicKey);
  return bytesFromBigint(modPow(y, privateKey, DH_PRIME));
}
