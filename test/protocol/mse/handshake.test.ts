import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseError,
  type MseErrorCode,
  MseInitiator,
  type MseOutcome,
  MseResponder,
  bytesFromBigint,
  dhKeyPair,
  dhSecret,
  mseCiphers,
  req1Hash,
  req2Hash,
  req3Hash,
  xor20,
} from '../../../src/protocol/mse/index.js';
import { seededRng, randomBytesFrom } from '../../../src/env/rng.js';

const SKEY = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
const rc4First = (provided: number) => (provided & CRYPTO_RC4 ? CRYPTO_RC4 : provided & CRYPTO_PLAINTEXT ? CRYPTO_PLAINTEXT : undefined);

function responder(select = rc4First, skeys = [SKEY]) {
  return new MseResponder({ randomBytes, findSkey: (req2) => skeys.find((s) => req2Hash(s).equals(req2)), selectMethod: select });
}

/** Splits bytes into pieces of the given sizes (cycled), to show that framing does not matter. */
function chunks(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Runs both sides to the end, delivering each side's output to the other in the given chunk sizes. */
function runHandshake(a: MseInitiator, b: MseResponder, sizes: number[], extraFromA = Buffer.alloc(0)) {
  let toB = Buffer.concat([a.start()]);
  let toA = Buffer.alloc(0);
  let doneA: MseOutcome | undefined;
  let doneB: MseOutcome | undefined;
  for (let round = 0; round < 10 && !(doneA && doneB); round++) {
    for (const chunk of chunks(toB, sizes)) {
      const step = b.push(chunk);
      toA = Buffer.concat([toA, ...step.send]);
      doneB ??= step.done;
    }
    toB = Buffer.alloc(0);
    for (const chunk of chunks(toA, sizes)) {
      if (doneA) break;
      const step = a.push(chunk);
      toB = Buffer.concat([toB, ...step.send]);
      doneA ??= step.done;
    }
    toA = Buffer.alloc(0);
    if (doneA && extraFromA.length) {
      toB = Buffer.concat([toB, doneA.encrypt ? doneA.encrypt.update(extraFromA) : extraFromA]);
      extraFromA = Buffer.alloc(0);
    }
  }
  assert.ok(doneA && doneB, 'both sides finished');
  return { a: doneA, b: doneB };
}

for (const sizes of [[1], [7, 1, 100], [4096]]) {
  test(`the handshake completes in memory with chunks of ${sizes.join('/')} bytes, the streams pair up and IA arrives`, () => {
    const ia = Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), randomBytes(48)]);
    const a = new MseInitiator({ skey: SKEY, randomBytes, cryptoProvide: CRYPTO_RC4 | CRYPTO_PLAINTEXT, initialPayload: ia });
    const { a: outA, b: outB } = runHandshake(a, responder(), sizes);
    assert.equal(outA.method, 'rc4');
    assert.equal(outB.method, 'rc4');
    assert.ok(outB.skey.equals(SKEY));
    assert.ok(outB.payload.equals(ia), 'B receives IA as the first payload bytes');
    assert.equal(outA.payload.length, 0);
    const message = randomBytes(1000);
    assert.ok(outB.decrypt!.update(outA.encrypt!.update(message)).equals(message));
    assert.ok(outA.decrypt!.update(outB.encrypt!.update(message)).equals(message));
  });
}

test('with the plaintext method selected, IA is still encrypted but what follows is not', () => {
  const a = new MseInitiator({ skey: SKEY, randomBytes, cryptoProvide: CRYPTO_RC4 | CRYPTO_PLAINTEXT, initialPayload: Buffer.from('hello') });
  const plainOnly = (provided: number) => (provided & CRYPTO_PLAINTEXT ? CRYPTO_PLAINTEXT : undefined);
  const { a: outA, b: outB } = runHandshake(a, responder(plainOnly), [50]);
  assert.equal(outA.method, 'plaintext');
  assert.equal(outB.method, 'plaintext');
  assert.equal(outA.encrypt, undefined);
  assert.equal(outB.decrypt, undefined);
  assert.equal(outB.payload.toString(), 'hello');
});

test('the same seed gives the same bytes (the simulator relies on it)', () => {
  const run = () => {
    const bytes = randomBytesFrom(seededRng(7));
    return new MseInitiator({ skey: SKEY, randomBytes: bytes, cryptoProvide: CRYPTO_RC4 }).start();
  };
  assert.ok(run().equals(run()));
  const start = run();
  assert.ok(start.length >= 96 && start.length <= 96 + 512);
});

const refused = (code: MseErrorCode) => (err: unknown) => err instanceof MseError && err.code === code;

test('B refuses a bad DH value from A (0, 1, P-1)', () => {
  for (const value of [0n, 1n, BigInt('0x' + 'f'.repeat(192))]) {
    assert.throws(() => responder().push(bytesFromBigint(value)), refused('bad-public-key'));
  }
});

test('A refuses a bad DH value from B', () => {
  const a = new MseInitiator({ skey: SKEY, randomBytes, cryptoProvide: CRYPTO_RC4 });
  a.start();
  assert.throws(() => a.push(Buffer.alloc(96)), refused('bad-public-key'));
});

test('B gives up when HASH(req1, S) is not within 628 bytes of the start, and not before', () => {
  const b = responder();
  const a = dhKeyPair(randomBytes(20));
  const first = b.push(Buffer.concat([a.publicKey, Buffer.alloc(531)])); // 627 bytes: could still come
  assert.equal(first.send.length, 1);
  assert.throws(() => b.push(Buffer.alloc(1)), refused('sync-not-found'));
});

test('B finds HASH(req1, S) after the longest PadA (512 bytes)', () => {
  const b = responder();
  const a = dhKeyPair(randomBytes(20));
  const reply = b.push(Buffer.concat([a.publicKey, randomBytes(512)]));
  const yb = reply.send[0]!.subarray(0, 96);
  const secret = dhSecret(a.privateKey, yb);
  const step = b.push(req1Hash(secret));
  assert.deepEqual(step.send, []);
  // Then an unknown torrent.
  assert.throws(() => b.push(xor20(req2Hash(randomBytes(20)), req3Hash(secret))), refused('unknown-skey'));
});

/** A hand-made side A, to send what a real A would not. */
function handMadeStep3(b: MseResponder, fields: { vc?: Buffer; provide?: number; padC?: number }) {
  const a = dhKeyPair(randomBytes(20));
  const reply = b.push(a.publicKey);
  const secret = dhSecret(a.privateKey, reply.send[0]!.subarray(0, 96));
  const { encrypt } = mseCiphers('A', secret, SKEY);
  const header = Buffer.alloc(16); // VC, crypto_provide, len(PadC), then len(IA) = 0 when there is no PadC
  (fields.vc ?? Buffer.alloc(8)).copy(header);
  header.writeUInt32BE(fields.provide ?? CRYPTO_RC4, 8);
  header.writeUInt16BE(fields.padC ?? 0, 12);
  return Object.assign(Buffer.concat([req1Hash(secret), xor20(req2Hash(SKEY), req3Hash(secret)), encrypt.update(header)]), { encrypt });
}

test('B hands over payload that came in the same chunk as step 3, decrypted with the continued stream', () => {
  const b = responder();
  const step3 = handMadeStep3(b, {});
  const done = b.push(Buffer.concat([step3, step3.encrypt.update(Buffer.from('payload right behind'))])).done;
  assert.equal(done?.method, 'rc4');
  assert.equal(done?.payload.toString(), 'payload right behind');
});

test('B refuses a wrong verification constant, oversized PadC, and a crypto_provide with nothing it accepts', () => {
  assert.throws(() => { const b = responder(); b.push(handMadeStep3(b, { vc: Buffer.from('01'.repeat(8), 'hex') })); }, refused('bad-verification-constant'));
  assert.throws(() => { const b = responder(); b.push(handMadeStep3(b, { padC: 513 })); }, refused('padding-too-long'));
  const rc4Only = (p: number) => (p & CRYPTO_RC4 ? CRYPTO_RC4 : undefined);
  assert.throws(() => { const b = responder(rc4Only); b.push(handMadeStep3(b, { provide: CRYPTO_PLAINTEXT })); }, refused('no-common-method'));
});

/** A hand-made side B answering a real A. */
function handMadeB(a: MseInitiator, reply: (secret: Buffer, encrypt: ReturnType<typeof mseCiphers>['encrypt']) => Buffer, padB = 0) {
  const ya = a.start().subarray(0, 96);
  const b = dhKeyPair(randomBytes(20));
  const secret = dhSecret(b.privateKey, ya);
  const { encrypt } = mseCiphers('B', secret, SKEY);
  return a.push(Buffer.concat([b.publicKey, randomBytes(padB), reply(secret, encrypt)]));
}

test('A gives up when ENCRYPT(VC) is not within 616 bytes of B\'s start', () => {
  const a = new MseInitiator({ skey: SKEY, randomBytes, cryptoProvide: CRYPTO_RC4 });
  assert.throws(() => handMadeB(a, () => Buffer.alloc(0), 520), refused('sync-not-found'));
});

test('A refuses a crypto_select it did not provide, two methods at once, and oversized PadD', () => {
  const select = (value: number, padD = 0) => (_: Buffer, encrypt: { update(b: Buffer): Buffer }) => {
    const fields = Buffer.alloc(14);
    fields.writeUInt32BE(value, 8);
    fields.writeUInt16BE(padD, 12);
    return encrypt.update(fields);
  };
  const rc4Only = () => new MseInitiator({ skey: SKEY, randomBytes, cryptoProvide: CRYPTO_RC4 });
  assert.throws(() => handMadeB(rc4Only(), select(CRYPTO_PLAINTEXT)), refused('bad-crypto-select'));
  assert.throws(() => handMadeB(rc4Only(), select(CRYPTO_RC4 | CRYPTO_PLAINTEXT)), refused('bad-crypto-select'));
  assert.throws(() => handMadeB(rc4Only(), select(CRYPTO_RC4, 513)), refused('padding-too-long'));
  // PadB of 512 bytes and a PadD of 512 are fine.
  const done = handMadeB(rc4Only(), (s, e) => Buffer.concat([select(CRYPTO_RC4, 512)(s, e), e.update(Buffer.alloc(512))]), 512);
  assert.equal(done.done?.method, 'rc4');
});

test('an IA of 65 535 bytes trickled one byte at a time costs linear time', () => {
  const ia = randomBytes(65_535);
  const a = new MseInitiator({ skey: SKEY, randomBytes, cryptoProvide: CRYPTO_RC4, initialPayload: ia });
  const b = responder();
  const reply = b.push(a.start());
  const step3 = Buffer.concat(a.push(Buffer.concat(reply.send)).send);
  const started = performance.now();
  let done: MseOutcome | undefined;
  for (let k = 0; k < step3.length && !done; k++) done = b.push(step3.subarray(k, k + 1)).done;
  const ms = performance.now() - started;
  assert.ok(done?.payload.equals(ia), 'IA arrives whole');
  assert.ok(ms < 3000, `${step3.length} one-byte pushes took ${ms.toFixed(0)} ms`);
});
