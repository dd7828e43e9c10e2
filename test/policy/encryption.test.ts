import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitHandshakeKind, cryptoProvide, dialAttempts, selectCrypto } from '../../src/policy/encryption.js';
import { DEFAULT_DIAL_BOOK_OPTIONS, addCandidates, dialSucceeded, emptyDialBook, markDialing, peerClosed } from '../../src/policy/dial-book.js';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4 } from '../../src/protocol/mse/index.js';

test('dial attempts: prefer tries MSE then plaintext, and only plaintext for a peer that failed MSE before; require and disable try one', () => {
  assert.deepEqual(dialAttempts('prefer', false), ['encrypted', 'plaintext']);
  assert.deepEqual(dialAttempts('prefer', true), ['plaintext']);
  assert.deepEqual(dialAttempts('require', true), ['encrypted']);
  assert.deepEqual(dialAttempts('disable', false), ['plaintext']);
});

test('crypto_provide and crypto_select: require is RC4 only; prefer offers both and picks RC4 when offered; disable selects nothing', () => {
  assert.equal(cryptoProvide('require'), CRYPTO_RC4);
  assert.equal(cryptoProvide('prefer'), CRYPTO_RC4 | CRYPTO_PLAINTEXT);
  assert.equal(selectCrypto('prefer', CRYPTO_RC4 | CRYPTO_PLAINTEXT), CRYPTO_RC4);
  assert.equal(selectCrypto('prefer', CRYPTO_PLAINTEXT), CRYPTO_PLAINTEXT);
  assert.equal(selectCrypto('require', CRYPTO_PLAINTEXT), undefined);
  assert.equal(selectCrypto('require', CRYPTO_RC4 | 0x80), CRYPTO_RC4, 'unknown bits are ignored');
  assert.equal(selectCrypto('prefer', 0), undefined);
  assert.equal(selectCrypto('disable', CRYPTO_RC4), undefined);
});

test('incoming handshakes by kind: require refuses plaintext, disable refuses encrypted, prefer takes both', () => {
  assert.equal(admitHandshakeKind('prefer', 'plaintext').admit, true);
  assert.equal(admitHandshakeKind('prefer', 'encrypted').admit, true);
  assert.equal(admitHandshakeKind('require', 'plaintext').admit, false);
  assert.equal(admitHandshakeKind('disable', 'encrypted').admit, false);
});

test('the dial book remembers a peer that took plaintext after failing MSE, across closes', () => {
  let book = addCandidates(emptyDialBook(), [{ host: '10.0.0.2', port: 6881 }], 'tracker', 0, DEFAULT_DIAL_BOOK_OPTIONS).book;
  const key = '10.0.0.2:6881';
  book = dialSucceeded(markDialing(book, [key]), key, true);
  assert.equal(book.candidates.get(key)?.plaintextOnly, true);
  book = peerClosed(book, key, 1000, true, DEFAULT_DIAL_BOOK_OPTIONS);
  assert.equal(book.candidates.get(key)?.plaintextOnly, true);
  assert.deepEqual(dialAttempts('prefer', book.candidates.get(key)?.plaintextOnly === true), ['plaintext']);
  // A later encrypted success does not unlearn it; nor does a plain success mark a peer that never failed.
  const other = addCandidates(emptyDialBook(), [{ host: '10.0.0.3', port: 6881 }], 'tracker', 0, DEFAULT_DIAL_BOOK_OPTIONS).book;
  assert.equal(dialSucceeded(markDialing(other, ['10.0.0.3:6881']), '10.0.0.3:6881').candidates.get('10.0.0.3:6881')?.plaintextOnly, undefined);
});
