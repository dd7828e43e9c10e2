import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDiffieHellman, createHash, randomBytes } from 'node:crypto';
import {
  DH_PRIME,
  MseError,
  bytesFromBigint,
  createSkeyLookup,
  dhKeyPair,
  dhSecret,
  mseCiphers,
  req1Hash,
  req2Hash,
  req3Hash,
} from '../../../src/protocol/mse/index.js';

const PRIME_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563';

const sha1 = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest();

test('the DH exchange agrees with OpenSSL Diffie-Hellman over the same prime and generator', () => {
  const a = dhKeyPair(randomBytes(20));
  const b = dhKeyPair(randomBytes(20));
  for (const pair of [a, b]) {
    const openssl = createDiffieHellman(Buffer.from(PRIME_HEX, 'hex'), Buffer.from([2]));
    openssl.setPrivateKey(bytesFromBigint(pair.privateKey, 20));
    assert.ok(openssl.generateKeys().equals(pair.publicKey), 'public key');
    assert.equal(pair.publicKey.length, 96);
  }
  const openssl = createDiffieHellman(Buffer.from(PRIME_HEX, 'hex'), Buffer.from([2]));
  openssl.setPrivateKey(bytesFromBigint(a.privateKey, 20));
  openssl.generateKeys();
  // OpenSSL strips leading zeros of the secret; MSE writes it as 96 bytes.
  const expected = Buffer.concat([Buffer.alloc(96), openssl.computeSecret(b.publicKey)]).subarray(-96);
  assert.ok(dhSecret(a.privateKey, b.publicKey).equals(expected));
  assert.ok(dhSecret(b.privateKey, a.publicKey).equals(expected));
});

test('bad DH public values are refused: 0, 1, P-1, P and above', () => {
  const { privateKey } = dhKeyPair(randomBytes(20));
  for (const [name, value] of [
    ['0', 0n],
    ['1', 1n],
    ['P-1', DH_PRIME - 1n],
    ['P', DH_PRIME],
    ['2^768-1', (1n << 768n) - 1n],
  ] as const) {
    assert.throws(() => dhSecret(privateKey, bytesFromBigint(value)), (err: unknown) => err instanceof MseError && err.code === 'bad-public-key', name);
  }
  assert.doesNotThrow(() => dhSecret(privateKey, bytesFromBigint(2n)));
});

test('key derivation follows the spec: HASH = SHA-1 of the concatenation, RC4 keys keyA/keyB with 1024 bytes discarded', () => {
  const secret = randomBytes(96);
  const skey = randomBytes(20);
  assert.ok(req1Hash(secret).equals(sha1(Buffer.from('req1'), secret)));
  assert.ok(req2Hash(skey).equals(sha1(Buffer.from('req2'), skey)));
  assert.ok(req3Hash(secret).equals(sha1(Buffer.from('req3'), secret)));
  const a = mseCiphers('A', secret, skey);
  const b = mseCiphers('B', secret, skey);
  // A's sending stream is B's receiving stream and the other way round.
  const message = randomBytes(300);
  assert.ok(b.decrypt.update(a.encrypt.update(message)).equals(message));
  assert.ok(a.decrypt.update(b.encrypt.update(message)).equals(message));
  // The first bytes A sends are RC4(SHA-1('keyA' | S | SKEY)) from byte 1024 on, computed here by hand.
  const keyA = sha1(Buffer.from('keyA'), secret, skey);
  const s = Array.from({ length: 256 }, (_, k) => k);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + s[i]! + keyA[i % 20]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  let i = 0;
  j = 0;
  const stream: number[] = [];
  for (let n = 0; n < 1024 + 8; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    stream.push(s[(s[i]! + s[j]!) & 255]!);
  }
  const fresh = mseCiphers('A', secret, skey);
  assert.deepEqual([...fresh.encrypt.update(Buffer.alloc(8))], stream.slice(1024));
});

test('the SKEY lookup finds the torrent whose HASH(req2, infohash) it is, and nothing else', () => {
  const hashes = [randomBytes(20), randomBytes(20), randomBytes(20)].map((b) => b.toString('hex'));
  const find = createSkeyLookup(() => hashes);
  assert.equal(find(sha1(Buffer.from('req2'), Buffer.from(hashes[1]!, 'hex')))?.toString('hex'), hashes[1]);
  assert.equal(find(randomBytes(20)), undefined);
});
