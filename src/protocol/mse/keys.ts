import { createHash } from 'node:crypto';
import { RC4_DISCARD } from './constants.js';
import { Rc4 } from './rc4.js';

/** HASH() of the spec: SHA-1 over the concatenation of its arguments. */
export function mseHash(...parts: (string | Uint8Array)[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
  return hash.digest();
}

/** HASH('req1', S): A's synchronisation marker, which B searches for. */
export function req1Hash(secret: Uint8Array): Buffer {
  return mseHash('req1', secret);
}

/** HASH('req2', SKEY): the torrent's identifier as B looks it up (SKEY is the infohash). */
export function req2Hash(skey: Uint8Array): Buffer {
  return mseHash('req2', skey);
}

/** HASH('req3', S), which masks HASH('req2', SKEY) on the wire. */
export function req3Hash(secret: Uint8Array): Buffer {
  return mseHash('req3', secret);
}

export function xor20(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(20);
  for (let k = 0; k < 20; k++) out[k] = a[k]! ^ b[k]!;
  return out;
}

/** The RC4 streams of one side: A encrypts with HASH('keyA', S, SKEY), B with HASH('keyB', S, SKEY); 1024 bytes discarded. */
export function mseCiphers(side: 'A' | 'B', secret: Uint8Array, skey: Uint8Array): { encrypt: Rc4; decrypt: Rc4 } {
  const keyA = mseHash('keyA', secret, skey);
  const keyB = mseHash('keyB', secret, skey);
  const a = new Rc4(keyA);
  const b = new Rc4(keyB);
  a.skip(RC4_DISCARD);
  b.skip(RC4_DISCARD);
  return side === 'A' ? { encrypt: a, decrypt: b } : { encrypt: b, decrypt: a };
}
