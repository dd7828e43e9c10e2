/**
 * Message Stream Encryption (the Vuze/Azureus "Message Stream Encryption" specification, which
 * libtorrent, Transmission, aria2 and WebTorrent implement): its fixed numbers.
 */

/** The 768-bit safe prime P of the Diffie-Hellman exchange; the generator is 2. */
export const DH_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
);
export const DH_GENERATOR = 2n;
/** Ya, Yb and S are written as 96 big-endian bytes. */
export const DH_KEY_BYTES = 96;
/** Private keys: the spec recommends 160 bits. */
export const DH_PRIVATE_BYTES = 20;

/** PadA, PadB, PadC, PadD: 0 to 512 bytes. */
export const MAX_PAD = 512;
/** The verification constant: eight zero bytes, sent encrypted. */
export const VC_LENGTH = 8;
/** Bytes of each RC4 keystream thrown away before use. */
export const RC4_DISCARD = 1024;

/** crypto_provide / crypto_select bits. */
export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;

/** B must find HASH('req1', S) within this many bytes of the connection's start: Ya, PadA, the hash. */
export const REQ1_SYNC_LIMIT = DH_KEY_BYTES + MAX_PAD + 20;
/** A must find ENCRYPT(VC) within this many bytes of B's start: Yb, PadB, VC. */
export const VC_SYNC_LIMIT = DH_KEY_BYTES + MAX_PAD + VC_LENGTH;
/** len(IA) is two bytes. */
export const MAX_INITIAL_PAYLOAD = 0xffff;
